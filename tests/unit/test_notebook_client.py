"""The notebook client against a scripted tutor API on loopback (a fake remote server).

The server answers from a script (status, body, headers per request), so the tests can put
a 401 or a 503 exactly where a real API might, and count what the client sent.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ainative.notebook.activity import ActivityRecorder, cell_event
from ainative.notebook.client import AsyncTutorClient, TutorClient
from ainative.notebook.course_choice import Course
from ainative.notebook.kernel_context import KernelContext
from ainative.notebook.tokens import TokenStore
from ainative.notebook.wire import (
    Interaction,
    QuotaExceededError,
    SessionExpiredError,
    TutorUnavailableError,
)

ANSWER = {"id": "7", "status": "done", "answer": "What does `total = n` do each time?"}
QUOTA = {"remaining": 9, "limit": 10, "resets_at": "2026-11-28T14:05:00+00:00"}


@dataclass
class Reply:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeApi:
    """Tutor calls are answered from `script` in order (its last reply repeats)."""

    url: str = ""
    script: list[Reply] = field(default_factory=list)
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, token
    bodies: list[Any] = field(default_factory=list)  # the JSON sent with each call, or None
    refreshes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, path: str, token: str, body: Any = None) -> Reply:
        with self._lock:
            if path == "/api/v1/auth/refresh":
                self.refreshes += 1
                n = self.refreshes
                return Reply(200, {"access_token": f"access-{n}", "refresh_token": f"refresh-{n}"})
            self.calls.append((method, path, token))
            self.bodies.append(body)
            return self.script[min(len(self.calls), len(self.script)) - 1]


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    fake = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            sent = self.rfile.read(length)
            token = self.headers.get("authorization", "").removeprefix("Bearer ")
            body = json.loads(sent) if sent else None
            reply = fake.answer(self.command, self.path.split("?")[0], token, body)
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _reply

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


def sync_client(fake_api: FakeApi, **options: Any) -> TutorClient:
    return TutorClient(fake_api.url, "access-0", "refresh-0", backoff=0.01, **options)


# --- the defect: AssertionError("unreachable") instead of the student's message -----------


def test_a_401_on_the_last_attempt_is_a_readable_error(fake_api):
    fake_api.script = [Reply(401, {"detail": "token has expired"})]
    with sync_client(fake_api, retries=0) as client, pytest.raises(SessionExpiredError) as exc:
        client.quota()
    assert "log in to the hub again" in str(exc.value)
    # one refresh, one retry with the new token, then the second 401 is the answer
    assert fake_api.refreshes == 1
    assert [token for *_, token in fake_api.calls] == ["access-0", "access-1"]


def test_four_503s_then_a_401_with_default_retries_is_a_readable_error(fake_api):
    fake_api.script = [Reply(503, {"detail": "busy"})] * 4 + [Reply(401, {"detail": "expired"})]
    with sync_client(fake_api) as client, pytest.raises(SessionExpiredError, match="log in"):
        client.quota()
    assert len(fake_api.calls) == 6  # 4 retried 503s, the 401, the retry after the refresh
    assert fake_api.refreshes == 1


def test_the_refresh_is_not_counted_against_the_retries(fake_api):
    fake_api.script = [Reply(503)] * 4 + [Reply(401), Reply(200, QUOTA)]
    with sync_client(fake_api) as client:
        assert client.quota().remaining == 9
        assert client.access_token == "access-1"
        assert client.refresh_token == "refresh-1"


def test_503s_beyond_the_retries_say_the_tutor_is_busy(fake_api):
    fake_api.script = [Reply(503, {"detail": "busy"})]
    with sync_client(fake_api, retries=2) as client, pytest.raises(TutorUnavailableError) as exc:
        client.ask("why?")
    assert "try again in a minute" in str(exc.value)
    assert len(fake_api.calls) == 3


# --- politeness ---------------------------------------------------------------------------


def test_a_retry_after_longer_than_a_student_waits_is_not_retried(fake_api):
    fake_api.script = [Reply(503, {"detail": "queue down"}, {"Retry-After": "3600"})]
    with sync_client(fake_api) as client, pytest.raises(TutorUnavailableError):
        client.quota()
    assert len(fake_api.calls) == 1


def test_a_short_retry_after_is_waited_for_and_retried(fake_api):
    fake_api.script = [Reply(503, {}, {"Retry-After": "0"}), Reply(200, QUOTA)]
    with sync_client(fake_api) as client:
        assert client.quota().limit == 10
    assert len(fake_api.calls) == 2


def test_a_used_up_quota_is_not_retried_and_says_when_it_refills(fake_api):
    fake_api.script = [Reply(429, {"detail": "tutor quota used up"}, {"Retry-After": "1800"})]
    with (
        sync_client(fake_api) as client,
        pytest.raises(QuotaExceededError, match="quota used up, refills at"),
    ):
        client.submit("why?")
    # the submit, then the quota lookup for the refill time (answered 429 as well)
    assert [path for _, path, _ in fake_api.calls] == [
        "/api/v1/tutor/requests",
        "/api/v1/tutor/quota",
    ]


# --- one implementation, two faces --------------------------------------------------------


def test_async_client_asks_and_long_polls(fake_api):
    queued = {"id": "7", "status": "queued"}
    fake_api.script = [
        Reply(202, queued),
        Reply(200, {"id": "7", "status": "running"}),
        Reply(200, ANSWER),
    ]

    async def scenario() -> str | None:
        client = AsyncTutorClient(fake_api.url, "access-0", "refresh-0", backoff=0.01)
        try:
            return (await client.ask("why?", context={"code": "x", "error": ""})).answer
        finally:
            await client.aclose()

    assert asyncio.run(scenario()) == ANSWER["answer"]
    assert [(m, p) for m, p, _ in fake_api.calls] == [
        ("POST", "/api/v1/tutor/requests"),
        ("GET", "/api/v1/tutor/requests/7"),
        ("GET", "/api/v1/tutor/requests/7"),
    ]


def test_sync_client_works_inside_a_running_event_loop(fake_api):
    """As in a Jupyter kernel: a cell calls the blocking client while the thread's loop runs."""
    fake_api.script = [Reply(200, ANSWER)]

    async def cell() -> str | None:
        asyncio.get_running_loop()  # there is one, as in ipykernel
        with sync_client(fake_api) as client:
            return client.ask("why?").answer

    assert asyncio.run(cell()) == ANSWER["answer"]


def test_sync_client_works_without_an_event_loop_and_reuses_its_loop(fake_api):
    fake_api.script = [Reply(200, QUOTA)]
    client = sync_client(fake_api)
    try:
        assert [client.quota().remaining for _ in range(3)] == [9, 9, 9]
        assert len(client.async_client.transport._pools) == 1  # one private loop, one pool
    finally:
        client.close()
    client.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        client.quota()


def test_sync_and_async_clients_share_the_kernels_token_store(fake_api):
    """A refresh by one is seen by the other, so a rotated refresh token is never replayed."""
    fake_api.script = [Reply(401), Reply(200, QUOTA)]

    async def ask_quota(other: AsyncTutorClient) -> None:
        try:
            await other.quota()
        finally:
            await other.aclose()

    with sync_client(fake_api) as client:
        client.quota()
        fake_api.script = [Reply(200, QUOTA)]
        fake_api.calls.clear()
        asyncio.run(ask_quota(AsyncTutorClient(tokens=client.tokens)))
    assert fake_api.refreshes == 1
    assert fake_api.calls[0][2] == "access-1"


def test_follow_falls_back_to_the_long_poll_when_there_is_no_stream(fake_api):
    """An API without the stream (404): the answer is long-polled; the phases say so."""
    fake_api.script = [
        Reply(404, {"detail": "Not Found"}),
        Reply(200, {"id": "7", "status": "running"}),
        Reply(200, ANSWER),
    ]
    phases: list[str] = []
    with sync_client(fake_api) as client:
        item = client.follow(Interaction(id="7", status="queued"), on_phase=phases.append)
    assert item.answer == ANSWER["answer"]
    assert [path for _, path, _ in fake_api.calls] == [
        "/api/v1/tutor/requests/7/stream",
        "/api/v1/tutor/requests/7",
        "/api/v1/tutor/requests/7",
    ]
    assert phases == ["queued", "queued", "queued"]  # asked, stream refused, one poll round


def _calls(cls: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in vars(cls).items()
        if inspect.isfunction(member) and (not name.startswith("_") or name == "__init__")
    }


# what a blocking call returns for an async one (the rest return the same)
BLOCKING_RETURN = {"AsyncGenerator[StreamEvent, None]": "Iterator[StreamEvent]"}


def test_the_blocking_client_has_every_call_of_the_async_one_with_its_signature():
    """TutorClient stays a thin face: the same calls, parameters, defaults, annotations."""
    async_calls, sync_calls = _calls(AsyncTutorClient), _calls(TutorClient)
    assert set(async_calls) - {"aclose"} == set(sync_calls) - {"close"}  # each closes its way
    for name, call in sync_calls.items():
        if name == "close":
            continue
        twin = async_calls[name]
        assert (
            name == "__init__"
            or inspect.iscoroutinefunction(twin)
            or inspect.isasyncgenfunction(twin)
        )
        expected, got = inspect.signature(twin), inspect.signature(call)
        assert list(got.parameters.values()) == list(expected.parameters.values()), name
        returned = BLOCKING_RETURN.get(expected.return_annotation, expected.return_annotation)
        assert got.return_annotation == returned, name
    properties = {name for name, v in vars(TutorClient).items() if isinstance(v, property)}
    assert properties == {"tokens", "api_url", "access_token", "refresh_token"}
    assert properties <= set(dir(AsyncTutorClient("http://127.0.0.1:1", "access")))


def test_the_widget_and_the_recorder_share_the_kernels_context_and_tokens(fake_api):
    """The widget's course and session stamp the recorder's events; a 401 on the recorder's
    side refreshes the kernel's one token pair, which the tutor client then uses."""
    from ainative.notebook.widget import TutorWidget

    tokens = TokenStore(fake_api.url, "access-0", "refresh-0")
    context = KernelContext()
    courses = [Course(1, "CS101", "Programming 1"), Course(2, "DS200", "Data science")]
    widget = TutorWidget(client=AsyncTutorClient(tokens=tokens), courses=courses, context=context)
    widget.show_courses(remembered=None)
    assert (context.course_id, context.course_pending) == (None, True)  # cell runs wait
    widget.show_courses(remembered=2)
    assert (context.course_id, context.course_pending) == (2, False)

    fake_api.script = [Reply(201, {"id": "s-1"}), Reply(401), Reply(200, {"consent": True})]

    async def open_session() -> None:
        await widget._session()
        await widget.client.aclose()

    asyncio.run(open_session())
    assert context.session_id == "s-1"
    recorder = ActivityRecorder(tokens, context)
    try:
        recorder.record(cell_event("x = 1", None, 1))
        assert recorder.flush_once() is True and recorder.sent == 1
    finally:
        recorder.close(final_flush=False)
    assert [(m, p, t) for m, p, t in fake_api.calls] == [
        ("POST", "/api/v1/tutor/sessions", "access-0"),
        ("GET", "/api/v1/events/limits", "access-0"),
        ("GET", "/api/v1/events/limits", "access-1"),  # refreshed once, for both
        ("POST", "/api/v1/events/batch", "access-1"),
    ]
    batch = fake_api.bodies[-1]
    assert (batch["session_id"], batch["course_id"]) == ("s-1", 2)
    assert batch["events"][0]["session_id"] == "s-1"
    assert widget.client.access_token == "access-1"
