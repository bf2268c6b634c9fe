"""The answer stream's response lets go of what it holds when its client goes away.

Starlette cancels a streaming response whose client disconnected; the events generator,
suspended at a `yield`, was then closed only when garbage collection got to it, and
until then it held the student's waiting slot (a student asking again and again got 429).
"""

from __future__ import annotations

from contextlib import AsyncExitStack

import anyio

from api.sse import HoldingStreamingResponse


async def test_a_client_gone_mid_stream_closes_the_events_and_lets_go() -> None:
    closed: list[str] = []

    async def events():
        try:
            yield "event: delta\n\n"
            yield "event: final\n\n"
        finally:
            closed.append("events")

    held = AsyncExitStack()
    held.callback(closed.append, "slot")
    response = HoldingStreamingResponse(events(), held, media_type="text/event-stream")
    first_body_sent, gone = anyio.Event(), anyio.Event()

    async def send(message: dict) -> None:
        if message.get("body"):
            first_body_sent.set()
            await anyio.sleep(3600)  # the client stopped reading

    async def receive() -> dict:
        await gone.wait()
        return {"type": "http.disconnect"}

    scope = {"type": "http", "asgi": {"spec_version": "2.3"}}
    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            group.start_soon(response, scope, receive, send)
            await first_body_sent.wait()  # the generator waits at its first yield
            gone.set()
    assert closed == ["events", "slot"]  # at once, not whenever the generator is collected


async def test_a_stream_that_ends_lets_go_once() -> None:
    closed: list[str] = []

    async def events():
        yield "event: final\n\n"

    held = AsyncExitStack()
    held.callback(closed.append, "slot")
    response = HoldingStreamingResponse(events(), held, media_type="text/event-stream")
    bodies: list[bytes] = []

    async def send(message: dict) -> None:
        if "body" in message:
            bodies.append(message["body"])

    async def receive() -> dict:
        await anyio.sleep(3600)
        return {"type": "http.disconnect"}

    with anyio.fail_after(30):
        await response({"type": "http", "asgi": {"spec_version": "2.3"}}, receive, send)
    assert bodies == [b"event: final\n\n", b""] and closed == ["slot"]
