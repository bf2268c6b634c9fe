"""The stream's wire format and its readers: SSE framing, resets, retries, resume."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import AsyncGenerator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ainative.llm import LLMError, LLMResult
from ainative.notebook.client import TutorClient
from ainative.notebook.wire import SSEDecoder, stream_event
from ainative.tutor.answering import stream_with_retries
from ainative.tutor.stream_guard import Release, StreamGuard
from ainative.tutor.streaming.entries import StreamEntry, valid_entry_id
from ainative.tutor.streaming.relay import IDLE, Final, RelayEvent
from api.sse import HEARTBEAT, entry_event, frame, frames, sse


def decode(wire: str) -> list[tuple[str, str, str | None]]:
    decoder, out = SSEDecoder(), []
    for line in wire.split("\n"):
        found = decoder.feed(line)
        if found is not None:
            out.append(found)
    return out


def test_sse_framing_round_trips_multiline_data_and_ignores_comments() -> None:
    wire = sse("delta", '{"text": "a"}', "1-0") + HEARTBEAT + sse("final", "line one\nline two")
    assert wire.startswith("event: delta\nid: 1-0\ndata: {")
    assert "data: line one\ndata: line two\n\n" in wire
    assert decode(wire) == [
        ("delta", '{"text": "a"}', "1-0"),
        ("final", "line one\nline two", "1-0"),
    ]


def test_an_entry_becomes_an_event_with_its_stream_id() -> None:
    wire = entry_event(StreamEntry("17-3", "delta", 'say "hi"\n'))
    [(kind, data, event_id)] = decode(wire)
    assert (kind, json.loads(data)["text"], event_id) == ("delta", 'say "hi"\n', "17-3")


def test_relay_events_become_sse_text_and_the_final_is_the_public_interaction() -> None:
    row = {
        "id": uuid.uuid4(),
        "status": "done",
        "mode": "hint",
        "prompt": "why?",
        "answer": "Hi!",
        "user_id": 7,  # not the owner's to see: InteractionPublic leaves it out
        "created_at": datetime(2026, 1, 2, tzinfo=UTC),
    }
    events = (StreamEntry("1-0", "reset", "Hi"), IDLE, StreamEntry("2-0", "delta", "!"), Final(row))
    wire = "".join(frame(event) for event in events)
    assert wire.count(HEARTBEAT) == 1
    [reset, delta, (kind, data, _)] = decode(wire)
    assert (reset, delta) == (("reset", '{"text": "Hi"}', "1-0"), ("delta", '{"text": "!"}', "2-0"))
    final = json.loads(data)
    assert kind == "final" and final["id"] == str(row["id"]) and final["answer"] == "Hi!"
    assert "user_id" not in final


async def test_closing_the_frames_closes_the_relay_events() -> None:
    closed: list[bool] = []

    async def events() -> AsyncGenerator[RelayEvent, None]:
        try:
            yield StreamEntry("1-0", "delta", "a")
            yield StreamEntry("2-0", "delta", "b")
        finally:
            closed.append(True)

    wire = frames(events())
    assert await anext(wire) == entry_event(StreamEntry("1-0", "delta", "a"))
    await wire.aclose()
    assert closed == [True]


@pytest.mark.parametrize(
    ("value", "ok"), [("0-0", True), ("1796145669597-12", True), ("1-", False), ("x", False)]
)
def test_entry_ids(value: str, ok: bool) -> None:
    assert valid_entry_id(value) is ok


def test_stream_events_apply_resets_and_the_final_answer_wins() -> None:
    answer = ""
    for kind, text in (("delta", "Hello "), ("delta", "wor"), ("reset", "Hi"), ("delta", "!")):
        event = stream_event(kind, json.dumps({"text": text}), "1-0", answer)
        assert event is not None
        answer = event.answer
    assert answer == "Hi!"
    final = stream_event(
        "final", json.dumps({"id": "9", "status": "done", "answer": "Hey"}), None, answer
    )
    assert final is not None and final.answer == "Hey" and final.interaction is not None
    assert stream_event("message", "{}", None, answer) is None


def test_a_retried_attempt_never_shows_text_twice() -> None:
    releases: list[Release | None] = []
    calls = 0

    def call(guard: StreamGuard) -> LLMResult:
        nonlocal calls
        calls += 1
        for piece in ("What does ", "your loop "):
            releases.append(guard.feed(piece))
        if calls == 1:
            raise LLMError("broke off", retryable=True, reason="connection")
        releases.append(guard.feed("print?"))
        return LLMResult("What does your loop print?", 1, 1, "test", "m")

    result, checked = stream_with_retries(
        call,
        classification="debugging",
        on_release=releases.append,
        provider="test",
        retries=2,
        backoff=0.0,
        sleep=lambda _: None,
    )
    shown = ""
    for release in releases:
        if release is not None:
            shown = release.text if release.reset else shown + release.text
    assert calls == 2 and shown == checked.answer == result.text == "What does your loop print?"
    assert sum(1 for r in releases if r is not None and r.reset) == 2


class _ScriptedStream(BaseHTTPRequestHandler):
    """First connection: two deltas, then the connection drops. Second: the rest."""

    seen_ids: list[str | None] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        last = self.headers.get("Last-Event-ID")
        type(self).seen_ids.append(last)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if last is None:
            body = sse("delta", '{"text": "What "}', "1-0") + sse("delta", '{"text": "is "}', "2-0")
        else:
            final = {"id": "42", "status": "done", "answer": "What is x?"}
            body = (
                sse("delta", '{"text": "x?"}', "3-0") + HEARTBEAT + sse("final", json.dumps(final))
            )
        self.wfile.write(body.encode())
        self.wfile.flush()
        self.close_connection = True


@pytest.fixture
def scripted() -> Iterator[str]:
    _ScriptedStream.seen_ids = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedStream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_client_resumes_a_dropped_stream_with_last_event_id(scripted: str) -> None:
    with TutorClient(scripted, "token", "", backoff=0.01) as client:
        events = list(client.stream("42", timeout=30))
    assert _ScriptedStream.seen_ids == [None, "2-0"]
    assert [e.kind for e in events] == ["delta", "delta", "delta", "final"]
    assert [e.answer for e in events] == ["What ", "What is ", "What is x?", "What is x?"]
    assert events[-1].interaction is not None and events[-1].interaction.id == "42"
