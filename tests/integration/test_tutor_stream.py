"""The answer streamed as Server-Sent Events, on the real stack with the fake LLM streaming."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import redis
from sqlalchemy import Engine

from ainative.notebook.client import TutorClient
from ainative.notebook.wire import SSEDecoder
from ainative.tutor.guardrails import REWRITE_NOTE
from ainative.tutor.streaming.entries import stream_key
from tests.support.eventually import eventually
from tests.support.factories import make_course

REQUESTS = "/api/v1/tutor/requests"
PROSE = (
    "Good question. Before changing anything, look at what your loop does on the "
    "last pass: which value does the index take there, and how long is the list? "
    "Print both just before the line that fails and compare them with what you expected."
)
SOLUTION = (
    "Here is the full program you asked for:\n\n"
    "```python\n"
    "def count_vowels(word):\n"
    "    count = 0\n"
    "    for ch in word.lower():\n"
    "        if ch in 'aeiou':\n"
    "            count += 1\n"
    "    return count\n"
    "```\n\n"
    "Run it on a few words."
)


@dataclass
class Event:
    kind: str
    data: str
    id: str | None
    status_then: str | None = None  # the row's status when this event arrived

    @property
    def text(self) -> str:
        return str(json.loads(self.data)["text"])


@pytest.fixture
def llm(fake_llm_control) -> Iterator[Callable[..., None]]:
    """The fake LLM's controls; its chunk delay is put back afterwards too."""
    yield fake_llm_control
    fake_llm_control(chunk_delay=0.0)


def openai_course(db: Engine, student_id: int) -> int:
    """A course whose tutor is the openai provider (the fake), with the student in it."""
    return make_course(db, {"provider": "openai"}, [(student_id, "student")], title="Streaming")


def ask(api: httpx.Client, user, prompt: str, course_id: int) -> httpx.Response:
    r = api.post(
        REQUESTS,
        json={"prompt": prompt, "course_id": course_id, "mode": "socratic"},
        headers=user.headers,
    )
    assert r.status_code in (200, 202), r.text
    return r


def read_stream(
    api: httpx.Client,
    user,
    interaction_id: str,
    last_event_id: str | None = None,
    watch_status: bool = False,
) -> list[Event]:
    """Every event of one SSE connection until it closes (the final event closes it)."""
    headers = dict(user.headers)
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    events: list[Event] = []
    decoder = SSEDecoder()
    with api.stream("GET", f"{REQUESTS}/{interaction_id}/stream", headers=headers) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            found = decoder.feed(line)
            if found is None:
                continue
            event = Event(*found)
            first_delta = not any(e.kind == "delta" for e in events)
            if watch_status and event.kind == "delta" and first_delta:
                status = api.get(f"{REQUESTS}/{interaction_id}", headers=user.headers)
                event.status_then = status.json()["status"]
            events.append(event)
    return events


def shown(events: list[Event]) -> str:
    """The text a reader shows after these events (resets replace, deltas append)."""
    out = ""
    for event in events:
        if event.kind == "reset":
            out = event.text
        elif event.kind == "delta":
            out += event.text
    return out


def test_chunks_arrive_before_the_final_event(api, make_user, db, llm, fake_llm) -> None:
    student = make_user()
    llm(reply=PROSE, chunk_delay=0.05, latency=0.0, clear=True)
    course = openai_course(db, student.id)
    prompt = f"why does my loop fail? {uuid.uuid4()}"
    interaction_id = ask(api, student, prompt, course).json()["id"]
    events = read_stream(api, student, interaction_id, watch_status=True)
    kinds = [e.kind for e in events]
    assert kinds[-1] == "final" and kinds.count("final") == 1
    deltas = [e for e in events if e.kind == "delta"]
    assert len(deltas) >= 5
    # The first words reached the reader while the answer was still being written.
    assert deltas[0].status_then == "running"
    final = json.loads(events[-1].data)
    assert final["status"] == "done" and final["answer"] == PROSE == shown(events)
    assert isinstance(final["ttft_ms"], int) and 0 <= final["ttft_ms"] <= final["llm_ms"]
    assert all(e.id for e in events[:-1])
    sent = [r["body"] for r in httpx.get(f"{fake_llm.root_url}/_requests").json()]
    mine = [b for b in sent if prompt in json.dumps(b)]
    assert mine and all(b["stream"] is True for b in mine)
    assert mine[0]["stream_options"] == {"include_usage": True}
    assert final["completion_tokens"] > 0


def test_resume_with_last_event_id_gets_only_later_events(api, make_user, db, llm) -> None:
    student = make_user()
    llm(reply=PROSE, chunk_delay=0.01, latency=0.0)
    course = openai_course(db, student.id)
    interaction_id = ask(api, student, f"resume me {uuid.uuid4()}", course).json()["id"]
    everything = read_stream(api, student, interaction_id)
    entries = [e for e in everything if e.kind != "final"]
    assert len(entries) >= 4
    cut = entries[2]
    resumed = read_stream(api, student, interaction_id, last_event_id=cut.id)
    assert [(e.kind, e.id, e.data) for e in resumed[:-1]] == [
        (e.kind, e.id, e.data) for e in entries[3:]
    ]
    assert resumed[-1].kind == "final"
    assert json.loads(resumed[-1].data)["answer"] == PROSE


def test_another_students_stream_is_404(api, make_user, db, llm) -> None:
    owner, other = make_user(), make_user()
    course = openai_course(db, owner.id)
    interaction_id = ask(api, owner, f"mine {uuid.uuid4()}", course).json()["id"]
    path = f"{REQUESTS}/{interaction_id}/stream"
    assert api.get(path, headers=other.headers).status_code == 404
    assert api.get(f"{REQUESTS}/{uuid.uuid4()}/stream", headers=owner.headers).status_code == 404
    bad = api.get(path, headers={**owner.headers, "Last-Event-ID": "not-an-id"})
    assert bad.status_code == 422 and "last-event-id" in bad.json()["detail"].lower()
    assert api.get(path).status_code == 401


def test_a_long_code_block_never_leaves_the_stream(api, make_user, db, llm) -> None:
    student = make_user()
    llm(reply=SOLUTION, chunk_delay=0.01, latency=0.0)
    course = openai_course(db, student.id)
    interaction_id = ask(api, student, f"my vowel counter is off {uuid.uuid4()}", course).json()[
        "id"
    ]
    events = read_stream(api, student, interaction_id)
    sent = "".join(e.text for e in events if e.kind != "final")
    for line in ("count += 1", "for ch in word.lower()", "return count", "def count_vowels"):
        assert line not in sent
    assert "Here is the full program" in sent  # the prose did stream
    final = json.loads(events[-1].data)
    assert final["guardrail"] in ("rewritten", "refused")
    assert shown(events) == final["answer"]
    if final["guardrail"] == "rewritten":
        assert REWRITE_NOTE in final["answer"]


def test_a_cache_hit_streams_just_the_final_event(api, make_user, db, llm) -> None:
    student = make_user()
    llm(reply=PROSE, chunk_delay=0.0, latency=0.0)
    course = openai_course(db, student.id)
    prompt = f"what does len do? {uuid.uuid4()}"
    first = ask(api, student, prompt, course).json()["id"]
    assert read_stream(api, student, first)[-1].kind == "final"
    hit = ask(api, student, prompt, course)
    assert hit.status_code == 200 and hit.json()["cache_hit"] is True
    events = read_stream(api, student, hit.json()["id"])
    assert [e.kind for e in events] == ["final"]
    assert json.loads(events[0].data)["answer"] == PROSE


def test_an_expired_stream_gets_the_stored_answer(api, make_user, db, llm, stack) -> None:
    student = make_user()
    llm(reply=PROSE, chunk_delay=0.0, latency=0.0)
    course = openai_course(db, student.id)
    interaction_id = ask(api, student, f"old question {uuid.uuid4()}", course).json()["id"]
    assert read_stream(api, student, interaction_id)[-1].kind == "final"
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    try:
        assert client.ttl(stream_key(interaction_id)) > 0  # it would expire by itself
        client.delete(stream_key(interaction_id))
    finally:
        client.close()
    events = read_stream(api, student, interaction_id)
    assert [e.kind for e in events] == ["final"]
    assert json.loads(events[0].data)["answer"] == PROSE


def test_the_notebook_client_streams(api, make_user, db, llm, stack) -> None:
    student = make_user()
    llm(reply=PROSE, chunk_delay=0.02, latency=0.0)
    course = openai_course(db, student.id)
    seen: list[str] = []
    with TutorClient(stack.api_url, student.access_token, student.refresh_token) as client:
        item = client.ask_streaming(
            f"client stream {uuid.uuid4()}",
            course_id=course,
            on_delta=lambda e: seen.append(e.answer),
        )
        assert item.status == "done" and item.answer == PROSE
        assert len(seen) >= 2 and seen[-1] == PROSE and PROSE.startswith(seen[0])
        events = list(client.stream(item.id))
    assert events[-1].kind == "final" and events[-1].interaction is not None
    assert events[-1].interaction.answer == PROSE
    assert all(e.kind in ("delta", "reset") for e in events[:-1])


def test_a_failed_answer_ends_the_stream_with_the_error(api, make_user, db, llm) -> None:
    student = make_user()
    llm(fail_next=1, fail_status=400)  # a 4xx is never retried
    course = openai_course(db, student.id)
    interaction_id = ask(api, student, f"this one fails {uuid.uuid4()}", course).json()["id"]
    events = read_stream(api, student, interaction_id)
    assert events[-1].kind == "final" and shown(events) == ""
    final = json.loads(events[-1].data)
    assert final["status"] == "error" and final["error"] and final["answer"] is None


def test_two_readers_of_one_answer_both_get_all_of_it(api, make_user, db, llm) -> None:
    """The API reads every open stream in one XREAD; a second reader joining a stream it
    already reads catches up on what came before it joined."""
    student = make_user()
    llm(reply=PROSE, chunk_delay=0.03, latency=0.0)
    course = openai_course(db, student.id)
    interaction_id = ask(api, student, f"two tabs {uuid.uuid4()}", course).json()["id"]
    second: list[list[Event]] = []
    path = f"{REQUESTS}/{interaction_id}/stream"
    with api.stream("GET", path, headers=student.headers) as first:
        lines = first.iter_lines()
        decoder, got = SSEDecoder(), []
        while not any(e.kind == "delta" for e in got):  # the first reader is reading
            found = decoder.feed(next(lines))
            if found is not None:
                got.append(Event(*found))
        second.append(read_stream(api, student, interaction_id))  # joins mid-answer
        for line in lines:
            found = decoder.feed(line)
            if found is not None:
                got.append(Event(*found))
    for events in (got, second[0]):
        assert events[-1].kind == "final"
        assert shown(events) == PROSE == json.loads(events[-1].data)["answer"]


def test_a_reader_that_leaves_early_gives_its_slot_back(api, make_user, db, llm, stack) -> None:
    student = make_user()
    llm(reply=PROSE, chunk_delay=0.2, latency=0.0)  # about ten seconds of text
    course = openai_course(db, student.id)
    interaction_id = ask(api, student, f"leaving early {uuid.uuid4()}", course).json()["id"]
    slots = redis.Redis.from_url(stack.env["REDIS_URL"])
    key = f"ratelimit:waiting-requests:user:{student.id}"
    try:
        with httpx.Client(base_url=stack.api_url, timeout=60) as leaving:
            path = f"{REQUESTS}/{interaction_id}/stream"
            with leaving.stream("GET", path, headers=student.headers) as r:
                for line in r.iter_lines():
                    if line.startswith("event: delta"):
                        break  # and the connection closes mid-answer
        eventually(lambda: int(slots.get(key) or 0) == 0, 60, interval=0.05)
        assert int(slots.get(key) or 0) == 0  # released although the request was cancelled
    finally:
        slots.close()
