"""The answer stream on the wire: the relay's events as Server-Sent Events.

`delta` and `reset` carry `{"text": ...}` and the stream entry's id (a reconnecting
client sends it back as Last-Event-ID); `final` carries the stored interaction as
InteractionPublic; an idle relay becomes a `: keep-alive` comment.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, aclosing
from typing import Any

import anyio
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from ainative.tutor.streaming.entries import StreamEntry
from ainative.tutor.streaming.relay import Final, Idle, RelayEvent
from api.schemas.tutor import InteractionPublic

HEARTBEAT = ": keep-alive\n\n"


def sse(event: str, data: str, event_id: str | None = None) -> str:
    """One Server-Sent Event; multi-line data becomes several `data:` lines."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines += [f"data: {line}" for line in data.split("\n")]
    return "\n".join(lines) + "\n\n"


def entry_event(entry: StreamEntry) -> str:
    return sse(entry.kind, json.dumps({"text": entry.text}), entry.id)


def frame(event: RelayEvent) -> str:
    """The SSE text of one relay event."""
    if isinstance(event, Final):
        return sse("final", InteractionPublic.from_row(event.row).model_dump_json())
    if isinstance(event, Idle):
        return HEARTBEAT
    return entry_event(event)


async def frames(events: AsyncGenerator[RelayEvent, None]) -> AsyncGenerator[str, None]:
    """The relay's events as SSE text; closing this closes the relay's events too."""
    async with aclosing(events):
        async for event in events:
            yield frame(event)


class HoldingStreamingResponse(StreamingResponse):
    """A stream that closes its events and lets go of what it holds (the user's waiting
    slot) as soon as it ends, however it ends, not whenever its generator is collected."""

    def __init__(self, events: AsyncGenerator[str, None], held: AsyncExitStack, **kw: Any):
        super().__init__(events, **kw)
        self.events, self.held = events, held

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.events.aclose()
                await self.held.aclose()
