"""A fake OpenAI-compatible chat-completions server on loopback.

The only fake in the suite: it stands in for the paid LLM so the real openai SDK is
exercised. Latency, failures and the reply are set through /_control; every request
it received is readable at /_requests, its load at /_stats.

It runs on aiohttp: a request that waits is a sleeping coroutine, not a thread, so
one process carries hundreds of slow calls (the load harness, tests/bench/lab) or
thousands of instant ones. In-process it serves from its own thread and event loop.

With `"stream": true` it answers Server-Sent Events in OpenAI's chunk format. The
latency L is then spread over the stream: the first token comes after
max(0, L - (n - 1) * chunk_delay), each further chunk chunk_delay later, so a
stream takes about L in total unless chunk_delay alone is longer.

Faults (tests/faults): the next `fail_next` completions fail in `fail_mode`:
"status" answers `fail_status` (with a Retry-After header when `retry_after` is set),
"hang" holds the request `hang_seconds` without answering, "malformed" answers 200
with a body (or, streamed, an event) that is not JSON, "cut" sends half of the answer
(half the chunks of a stream, half the bytes of a plain body) and then drops the
connection. Every recorded
request carries the time it arrived (`at`, epoch seconds).

Every answer carries an `id` and a `system_fingerprint` (SYSTEM_FINGERPRINT) as OpenAI's
do; with `served_model` set it names that model instead of the one asked for, as a server
resolving an alias to a dated snapshot does.

With `echo_system` set, the reply repeats the request's system message, as a model
talked into "printing its instructions" would (tests/integration/test_attacks_policy.py).

Run alone: python -m tests.fakes.openai_server --port 8099 --latency 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import socket
import threading
import time
import uuid
from typing import Any

from aiohttp import web

DEFAULT_REPLY = (
    "Good question. Before changing anything, what do you expect this line to do, "
    "and what does the error message tell you about the value it actually received?"
)
# What a real server returns beside the answer: the backend's configuration at the time.
SYSTEM_FINGERPRINT = "fp_fake0001"
MODELS = {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}
FAILURE = {"error": {"message": "fake failure", "type": "server_error"}}
CONTROL_KEYS = (
    "latency",
    "reply",
    "fail_next",
    "fail_status",
    "record",
    "chunk_delay",
    "fail_mode",
    "retry_after",
    "hang_seconds",
    "echo_system",
    "served_model",
)
FAIL_MODES = ("status", "hang", "malformed", "cut")


class FakeState:
    """What /_control sets and /_requests and /_stats read."""

    def __init__(self, latency: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.latency = latency
        self.chunk_delay = 0.0
        self.reply = DEFAULT_REPLY
        self.fail_next = 0
        self.fail_status = 500
        self.fail_mode = "status"
        self.retry_after: float | None = None
        self.hang_seconds = 3600.0
        self.echo_system = False
        self.served_model: str | None = None
        self.requests: list[dict[str, Any]] = []
        self.record = True
        self.in_flight = 0
        self.served = 0

    def control(self, body: dict[str, Any]) -> None:
        if body.get("fail_mode", "status") not in FAIL_MODES:
            raise ValueError(f"fail_mode must be one of {FAIL_MODES}")
        with self.lock:
            for key in CONTROL_KEYS:
                if key in body:
                    setattr(self, key, body[key])
            if body.get("clear"):
                self.requests.clear()

    def admit(
        self, body: dict[str, Any], authorization: str | None
    ) -> tuple[float, float, str, str | None]:
        """Record one completion request; returns latency, chunk delay, reply, failure mode."""
        with self.lock:
            failing = self.fail_next > 0
            if self.record:
                record = {"body": body, "authorization": authorization, "at": time.time()}
                self.requests.append({**record, "fault": self.fail_mode if failing else None})
            if failing:
                self.fail_next -= 1
            reply = echo(body) if self.echo_system else self.reply
            return self.latency, self.chunk_delay, reply, self.fail_mode if failing else None


def echo(body: dict[str, Any]) -> str:
    """A reply that gives the system message away."""
    system = [
        str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "system"
    ]
    return "Sure, here are my instructions:\n\n" + "\n".join(system)


def usage(body: dict[str, Any], reply: str) -> dict[str, int]:
    """Token counts as a rough 4 characters per token, never zero."""
    prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
    prompt_tokens, completion_tokens = max(1, prompt_chars // 4), max(1, len(reply) // 4)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def served_model(body: dict[str, Any], served: str | None = None) -> str:
    """The model the answer names: `served` when set (a server resolving an alias to a
    dated snapshot), else the one asked for."""
    return served or body.get("model") or "fake-model"


def completion(body: dict[str, Any], reply: str, served: str | None = None) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": served_model(body, served),
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": "stop",
            }
        ],
        "usage": usage(body, reply),
    }


def split_reply(reply: str) -> list[str]:
    """Word-sized pieces whose concatenation is exactly the reply."""
    return [piece for piece in re.findall(r"\S*\s*", reply) if piece] or [""]


def chunk_events(
    body: dict[str, Any], reply: str, served: str | None = None
) -> list[dict[str, Any]]:
    """The chat.completion.chunk objects of one streamed answer, in order."""
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": served_model(body, served),
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    extra: dict[str, Any] = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return {**base, "choices": [choice], **extra}

    pieces = split_reply(reply)
    events = [chunk({"role": "assistant", "content": pieces[0]}, None)]
    events += [chunk({"content": piece}, None) for piece in pieces[1:]]
    events.append(chunk({}, "stop"))
    if include_usage:
        events.append({**base, "choices": [], "usage": usage(body, reply)})
    return events


def _drop(request: web.Request) -> None:
    """Close the client's connection abruptly, as a crashed or cut-off server would."""
    if request.transport is not None:
        request.transport.close()


def _json(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status)


class FakeOpenAIServer:
    """The fake on 127.0.0.1:port (0 = any free port, bound at construction)."""

    def __init__(self, port: int = 0, latency: float = 0.0) -> None:
        self.state = FakeState(latency)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", port))
        self._socket.listen(4096)
        self._socket.setblocking(False)
        self.server_address: tuple[str, int] = self._socket.getsockname()
        self.thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    # --- HTTP -------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/{path:.*}", self._dispatch)
        return app

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if request.method == "GET":
            if path.startswith("/_requests"):
                with self.state.lock:
                    return _json(200, list(self.state.requests))
            if path.startswith("/_stats"):
                stats = {"in_flight": self.state.in_flight, "served": self.state.served}
                return _json(200, {**stats, "fail_next": self.state.fail_next})
            if path.rstrip("/").endswith("/models"):
                return _json(200, MODELS)
            return _json(404, {"error": {"message": "not found"}})
        if request.method != "POST":
            return _json(405, {"error": {"message": "method not allowed"}})
        raw = await request.read()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return _json(400, {"error": {"message": "the body is not JSON"}})
        if path.startswith("/_control"):
            try:
                self.state.control(body)
            except ValueError as exc:
                return _json(400, {"error": {"message": str(exc)}})
            return _json(200, {"ok": True})
        if not path.rstrip("/").endswith("/chat/completions"):
            return _json(404, {"error": {"message": "not found"}})
        self.state.in_flight += 1
        try:
            return await self._complete(request, body)
        finally:
            self.state.in_flight -= 1
            self.state.served += 1

    async def _complete(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        latency, chunk_delay, reply, fail_mode = self.state.admit(
            body, request.headers.get("Authorization")
        )
        served = self.state.served_model
        events = chunk_events(body, reply, served) if body.get("stream") else []
        first_token = max(0.0, latency - chunk_delay * max(0, len(events) - 1)) if events else 0
        delay = first_token if events else latency
        if delay:
            await asyncio.sleep(delay)
        if fail_mode == "status":
            return self._failure()
        if fail_mode == "hang":
            await asyncio.sleep(self.state.hang_seconds)
            return self._failure()
        if fail_mode == "malformed" and events:
            return await self._stream_raw(request, b'data: {"id": "chatcmpl-broken", "choi\n\n')
        if fail_mode == "malformed":
            return web.Response(
                status=200,
                text='{"id": "chatcmpl-broken", "choices": [{"ind',
                content_type="application/json",
            )
        if not events:
            if fail_mode == "cut":
                return await self._cut(
                    request, json.dumps(completion(body, reply, served)).encode()
                )
            return _json(200, completion(body, reply, served))
        cut = len(events) // 2 if fail_mode == "cut" else None
        return await self._stream(request, events, chunk_delay, cut)

    def _failure(self) -> web.Response:
        """The configured failure status, with Retry-After when one is set."""
        retry_after = self.state.retry_after
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
        return web.json_response(FAILURE, status=self.state.fail_status, headers=headers)

    async def _stream_raw(self, request: web.Request, payload: bytes) -> web.StreamResponse:
        """An event stream whose only event is `payload`, as given."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        await response.write(payload)
        await response.write_eof()
        return response

    async def _cut(self, request: web.Request, payload: bytes) -> web.StreamResponse:
        """Promise the whole body, send half of it, then drop the connection."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(payload)
        await response.prepare(request)
        await response.write(payload[: len(payload) // 2])
        _drop(request)
        return response

    async def _stream(
        self,
        request: web.Request,
        events: list[dict[str, Any]],
        chunk_delay: float,
        cut: int | None = None,
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):  # the client went away mid-stream
            for i, event in enumerate(events):
                if i and chunk_delay and event["choices"]:
                    await asyncio.sleep(chunk_delay)
                if i == cut:
                    _drop(request)  # half-way: no [DONE], no end of the chunked body
                    return response
                await response.write(f"data: {json.dumps(event)}\n\n".encode())
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        return response

    # --- lifecycle --------------------------------------------------------------------------

    async def _open(self) -> None:
        # handler_cancellation: a call whose client hung up stops counting as in flight.
        self._runner = web.AppRunner(
            self.app(), access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()

    def _serve(self, ready: threading.Event | None = None) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._open())
            if ready is not None:
                ready.set()
            loop.run_forever()
        finally:
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    def start(self) -> FakeOpenAIServer:
        """Serve from a daemon thread with its own event loop; returns once listening."""
        ready = threading.Event()
        self.thread = threading.Thread(
            target=self._serve, args=(ready,), name="fake-openai", daemon=True
        )
        self.thread.start()
        if not ready.wait(30):
            raise RuntimeError("the fake OpenAI server did not start")
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until stop() or SIGTERM/SIGINT."""
        self._serve()

    def stop(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self.thread is not None:
            self.thread.join(30)
        self._socket.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8099, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument(
        "--no-record", action="store_true", help="keep no /_requests log (long load runs)"
    )
    args = parser.parse_args()
    server = FakeOpenAIServer(args.port, args.latency)
    server.state.record = not args.no_record
    print(f"fake OpenAI server at {server.base_url}", flush=True)
    thread = server.start().thread
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    while not stopped.wait(1) and thread is not None and thread.is_alive():
        pass
    server.stop()


if __name__ == "__main__":
    main()
