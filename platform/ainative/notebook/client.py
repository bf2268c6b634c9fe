"""AsyncTutorClient / TutorClient: ask the platform's tutor from a notebook kernel.

The hub puts AINATIVE_API_URL, AINATIVE_ACCESS_TOKEN (scoped to the tutor's endpoints) and
AINATIVE_SERVER_KEY into the single-user server's environment. Every call goes through a
Transport (transport.py): the access token is renewed on a 401 (through one TokenStore per
kernel, shared with the activity recorder), 502/503/504 and connection errors are retried
politely, and the API's refusals become messages a student can act on (wire.py).

There is one implementation, the async client (the widget uses it on the kernel's loop).
TutorClient is its blocking face: each call runs the same coroutine on a private loop in a
dedicated thread, so it also works in a kernel whose main thread already runs a loop.

`stream(id)` reads the answer as it is written (Server-Sent Events) and reconnects with
Last-Event-ID when the connection drops, so no text is lost or repeated; `follow(item)`
takes a submitted question to its stored answer, streaming, with the long-poll behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
import weakref
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

import httpx

from ainative.notebook.tokens import TokenStore, shared_tokens
from ainative.notebook.transport import Backoff, Transport
from ainative.notebook.wire import (
    Interaction,
    Quota,
    QuotaExceededError,
    SessionExpiredError,
    SSEDecoder,
    StreamEvent,
    TutorClientError,
    TutorUnavailableError,
    clock,
    raise_for,
    stream_event,
)
from ainative.runtime.aioloop import LoopThread
from ainative.tutor.modes import DEFAULT_MODE

__all__ = [
    "AsyncTutorClient",
    "Interaction",
    "Quota",
    "QuotaExceededError",
    "SessionExpiredError",
    "StreamEvent",
    "TokenStore",
    "TutorClient",
    "TutorClientError",
    "TutorUnavailableError",
    "clock",
]

T = TypeVar("T")
OnDelta = Callable[[StreamEvent], None]
OnPhase = Callable[[str], None]
POLL_WAIT = 10.0  # seconds per long-poll while following: short enough to see queued -> running


def question(
    prompt: str,
    mode: str,
    context: dict[str, Any] | None,
    course_id: int | None,
    **fields: Any,
) -> dict[str, Any]:
    """The body of POST /api/v1/tutor/requests, with a fresh idempotency key.

    `fields` are further request fields (session_id, notebook_path, cell_id); None is left out.
    """
    body: dict[str, Any] = {
        "prompt": prompt,
        "mode": mode,
        "client_request_id": f"nb-{uuid.uuid4().hex}",
    }
    if context:
        body["context"] = {k: v for k, v in context.items() if v}
    if course_id is not None:
        body["course_id"] = course_id
    body.update({k: v for k, v in fields.items() if v is not None})
    return body


class AsyncTutorClient:
    """The tutor API from a notebook: `await AsyncTutorClient().ask("why does it stop?")`."""

    def __init__(
        self,
        api_url: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        *,
        tokens: TokenStore | None = None,
        wait_seconds: float = 25.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_retry_wait: float = 10.0,
        timeout: float = 60.0,
    ) -> None:
        if tokens is None and api_url and access_token:
            tokens = TokenStore(api_url, access_token, refresh_token or "")
        self.tokens = tokens or shared_tokens()
        self.wait_seconds = wait_seconds
        policy = Backoff(base=backoff, retries=retries, max_retry_wait=max_retry_wait)
        self.transport = Transport(self.tokens, policy, timeout)

    @property
    def api_url(self) -> str:
        return self.tokens.api_url

    @property
    def access_token(self) -> str:
        return self.tokens.access_token

    @access_token.setter
    def access_token(self, value: str) -> None:
        self.tokens.access_token = value

    @property
    def refresh_token(self) -> str:
        return self.tokens.refresh_token

    async def aclose(self) -> None:
        """Close the pool of the current loop (others close with their loops)."""
        await self.transport.aclose()

    async def refresh(self) -> None:
        """Trade the refresh token for a new pair (POST /api/v1/auth/refresh)."""
        await asyncio.to_thread(self.tokens.refresh)

    async def submit(
        self,
        prompt: str,
        mode: str = DEFAULT_MODE,
        context: dict[str, Any] | None = None,
        course_id: int | None = None,
        **fields: Any,
    ) -> Interaction:
        """Send a question; the answer may already be there (a cache hit) or be queued.

        `fields`: more request fields, e.g. `session_id=` to continue a conversation.
        """
        body = question(prompt, mode, context, course_id, **fields)
        r = await self.transport.send("POST", "/api/v1/tutor/requests", json=body)
        if r.status_code == 429:
            raise_for(r, await self._quota_or_none())
        raise_for(r)
        return Interaction.from_json(r.json())

    async def wait(self, interaction_id: str, timeout: float = 300.0) -> Interaction:
        """Long-poll the interaction until it is finished or `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        path = f"/api/v1/tutor/requests/{interaction_id}"
        while True:
            wait = max(1.0, min(self.wait_seconds, deadline - time.monotonic()))
            r = await self.transport.send("GET", path, params={"wait": wait})
            raise_for(r)
            item = Interaction.from_json(r.json())
            if item.finished or time.monotonic() >= deadline:
                return item

    async def ask(
        self,
        prompt: str,
        mode: str = DEFAULT_MODE,
        context: dict[str, Any] | None = None,
        course_id: int | None = None,
        timeout: float = 300.0,
    ) -> Interaction:
        """Submit a question and long-poll until it is answered (or failed)."""
        item = await self.submit(prompt, mode, context, course_id)
        return item if item.finished else await self.wait(item.id, timeout)

    async def _stream_once(
        self, interaction_id: str, last_id: str | None, answer: str
    ) -> AsyncGenerator[StreamEvent, None]:
        """One SSE connection; raises TutorClientError for a refusal, ends when it closes."""
        path = f"/api/v1/tutor/requests/{interaction_id}/stream"
        headers = {"Accept": "text/event-stream"}
        if last_id:
            headers["Last-Event-ID"] = last_id
        async with self.transport.stream(path, headers) as r:
            if r.status_code >= 400:
                await r.aread()
                raise_for(r)
            decoder = SSEDecoder()
            async for line in r.aiter_lines():
                found = decoder.feed(line)
                event = stream_event(*found, answer) if found else None
                if event is not None:
                    answer = event.answer
                    yield event

    async def stream(
        self, interaction_id: str, timeout: float = 300.0
    ) -> AsyncGenerator[StreamEvent, None]:
        """The answer's events as they come: deltas (and resets), then one "final".

        A dropped connection is resumed with Last-Event-ID (backing off like other calls,
        refreshing the token once); after `timeout` seconds the interaction as it is then
        is the final event.
        """
        backoff = self.transport.backoff
        deadline = time.monotonic() + timeout
        last_id: str | None = None
        answer, attempt, refreshed = "", 0, False
        while time.monotonic() < deadline:
            failed = False
            try:
                once = self._stream_once(interaction_id, last_id, answer)
                async with contextlib.aclosing(once) as events:
                    async for event in events:
                        attempt = 0
                        last_id, answer = event.id or last_id, event.answer
                        yield event
                        if event.kind == "final":
                            return
            except SessionExpiredError:
                if refreshed or not await self.transport.renew(self.access_token):
                    raise
                refreshed = True
                continue
            except (TutorUnavailableError, httpx.TransportError):
                failed = True
            if failed:
                delay = backoff.delay(attempt)
                if delay is None:
                    raise self.transport.unreachable()
                await asyncio.sleep(delay)
                attempt += 1
            else:  # the server closed a long stream: continue where it stopped
                await asyncio.sleep(min(backoff.base, 1.0))
        item = await self.wait(interaction_id, timeout=0)
        yield StreamEvent("final", item.answer or "", item, item.answer or "", last_id)

    async def ask_streaming(
        self,
        prompt: str,
        mode: str = DEFAULT_MODE,
        context: dict[str, Any] | None = None,
        course_id: int | None = None,
        timeout: float = 300.0,
        *,
        on_delta: OnDelta | None = None,
    ) -> Interaction:
        """Submit a question and read its answer as it is written (see `follow`)."""
        item = await self.submit(prompt, mode, context, course_id)
        return await self.follow(item, timeout, on_delta=on_delta)

    async def follow(
        self,
        item: Interaction,
        timeout: float = 300.0,
        *,
        on_delta: OnDelta | None = None,
        on_phase: OnPhase | None = None,
    ) -> Interaction:
        """Follow a submitted question to its stored answer (or to where it is at `timeout`).

        The answer is streamed: `on_delta` gets each delta/reset event (`event.answer` is
        the text to show). When the stream cannot be opened (an older API has none) or
        breaks off, short long-polls finish the job. `on_phase` hears where the question
        is: its status ("queued", "running"), "writing" while text comes, "finishing"
        when the stream broke off mid-answer.
        """
        if item.finished:
            return item
        say = on_phase or (lambda _: None)
        deadline = time.monotonic() + timeout
        say(item.status)
        shown = ""
        try:
            async with contextlib.aclosing(self.stream(item.id, timeout)) as events:
                async for event in events:
                    if event.interaction is not None:
                        item = event.interaction
                        break
                    say("writing")
                    shown = event.answer
                    if on_delta is not None:
                        on_delta(event)
        except Exception:  # no stream, or it failed: the long-poll below says the rest
            say("finishing" if shown else item.status)
        while not item.finished and time.monotonic() < deadline:
            say(item.status)
            item = await self.wait(item.id, timeout=min(POLL_WAIT, deadline - time.monotonic()))
        return item

    async def rate(
        self, interaction_id: str, *, helpful: bool | None = None, score: int | None = None
    ) -> None:
        """Rate an answer: helpful (thumbs up/down), a score from 1 to 5, or both.

        What is left out keeps its earlier value; the API refuses a call with neither.
        """
        body = {k: v for k, v in {"helpful": helpful, "score": score}.items() if v is not None}
        path = f"/api/v1/tutor/requests/{interaction_id}/rating"
        raise_for(await self.transport.send("POST", path, json=body))

    async def quota(self, course_id: int | None = None) -> Quota:
        """The student's remaining questions (in a course's quota) and when they refill."""
        params = {"course_id": course_id} if course_id is not None else None
        r = await self.transport.send("GET", "/api/v1/tutor/quota", params=params)
        raise_for(r)
        return Quota.from_json(r.json())

    async def _quota_or_none(self) -> Quota | None:
        try:
            return await self.quota()
        except TutorClientError:
            return None

    async def start_session(self, course_id: int | None = None, client: str = "notebook") -> str:
        """Open a tutor session (a conversation) in a course; its id."""
        body = {"course_id": course_id, "client": client}
        r = await self.transport.send("POST", "/api/v1/tutor/sessions", json=body)
        raise_for(r)
        return str(r.json()["id"])

    async def end_session(self, session_id: str) -> None:
        """End a tutor session: later questions start a new conversation."""
        raise_for(await self.transport.send("POST", f"/api/v1/tutor/sessions/{session_id}/end"))

    async def courses(self) -> Any:
        """The caller's courses as the API lists them (the hub's list is preferred)."""
        r = await self.transport.send("GET", "/api/v1/courses", params={"mine": "true"})
        raise_for(r)
        return r.json()

    async def research_consent(self) -> bool:
        """Whether the caller takes part in research now (GET events/limits, which a
        server's scoped token may read)."""
        r = await self.transport.send("GET", "/api/v1/events/limits")
        raise_for(r)
        return bool(r.json()["consent"])

    async def set_research_consent(self, given: bool) -> bool:
        """Take part in research, or stop (stored with its date); the new state.

        Needs a full login (PATCH auth/me): a hub server's scoped token is refused."""
        r = await self.transport.send("PATCH", "/api/v1/auth/me", json={"research_consent": given})
        raise_for(r)
        return bool(r.json()["research_consent"])

    async def escalate(self, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Ask a person: hand the session to the course's staff (what `body` holds)."""
        path = f"/api/v1/tutor/sessions/{session_id}/escalations"
        r = await self.transport.send("POST", path, json=body)
        raise_for(r)
        return dict(r.json())

    async def escalation(
        self, escalation_id: str, wait: float = 0, seen: str | None = None
    ) -> dict[str, Any]:
        """An escalation (status, position, replies); with `wait`, once it differs from `seen`."""
        params: dict[str, Any] = {"wait": wait}
        if seen is not None:
            params["seen"] = seen
        r = await self.transport.send("GET", f"/api/v1/escalations/{escalation_id}", params=params)
        raise_for(r)
        return dict(r.json())

    async def withdraw(self, escalation_id: str) -> dict[str, Any]:
        """Take a request to a person back."""
        r = await self.transport.send("POST", f"/api/v1/escalations/{escalation_id}/withdraw")
        raise_for(r)
        return dict(r.json())


async def _next(events: AsyncGenerator[StreamEvent, None]) -> StreamEvent:
    return await events.__anext__()


def _shut(runner: LoopThread, client: AsyncTutorClient) -> None:
    """Close the client's pool on its loop, then stop the loop (also at garbage collection)."""
    if runner.running:
        try:
            runner.run(client.aclose())
        finally:
            runner.stop()


class TutorClient:
    """Blocking client: `TutorClient().ask("why does my loop stop early?")`.

    The same arguments and calls as AsyncTutorClient, each run to completion on a private
    loop (see ainative.runtime.aioloop), so it works inside a kernel's running loop too.
    """

    def __init__(
        self,
        api_url: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        *,
        tokens: TokenStore | None = None,
        wait_seconds: float = 25.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_retry_wait: float = 10.0,
        timeout: float = 60.0,
    ) -> None:
        """The arguments of AsyncTutorClient, passed on unchanged."""
        self.async_client = AsyncTutorClient(
            api_url,
            access_token,
            refresh_token,
            tokens=tokens,
            wait_seconds=wait_seconds,
            retries=retries,
            backoff=backoff,
            max_retry_wait=max_retry_wait,
            timeout=timeout,
        )
        self._runner = LoopThread("ainative-tutor-client")
        self._closer = weakref.finalize(self, _shut, self._runner, self.async_client)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coro)

    def close(self) -> None:
        self._closer()

    def __enter__(self) -> TutorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def tokens(self) -> TokenStore:
        return self.async_client.tokens

    @property
    def api_url(self) -> str:
        return self.async_client.api_url

    @property
    def access_token(self) -> str:
        return self.async_client.access_token

    @access_token.setter
    def access_token(self, value: str) -> None:
        self.async_client.access_token = value

    @property
    def refresh_token(self) -> str:
        return self.async_client.refresh_token

    def refresh(self) -> None:
        """Trade the refresh token for a new pair (POST /api/v1/auth/refresh)."""
        self._run(self.async_client.refresh())

    def submit(
        self,
        prompt: str,
        mode: str = DEFAULT_MODE,
        context: dict[str, Any] | None = None,
        course_id: int | None = None,
        **fields: Any,
    ) -> Interaction:
        """Send a question; the answer may already be there (a cache hit) or be queued."""
        return self._run(self.async_client.submit(prompt, mode, context, course_id, **fields))

    def wait(self, interaction_id: str, timeout: float = 300.0) -> Interaction:
        """Long-poll the interaction until it is finished or `timeout` seconds have passed."""
        return self._run(self.async_client.wait(interaction_id, timeout))

    def ask(
        self,
        prompt: str,
        mode: str = DEFAULT_MODE,
        context: dict[str, Any] | None = None,
        course_id: int | None = None,
        timeout: float = 300.0,
    ) -> Interaction:
        """Submit a question and long-poll until it is answered (or failed)."""
        return self._run(self.async_client.ask(prompt, mode, context, course_id, timeout))

    def stream(self, interaction_id: str, timeout: float = 300.0) -> Iterator[StreamEvent]:
        """The answer's events as they come (see AsyncTutorClient.stream), blocking."""
        events = self.async_client.stream(interaction_id, timeout)
        try:
            while True:
                try:
                    yield self._run(_next(events))
                except StopAsyncIteration:
                    return
        finally:
            self._run(events.aclose())

    def ask_streaming(
        self,
        prompt: str,
        mode: str = DEFAULT_MODE,
        context: dict[str, Any] | None = None,
        course_id: int | None = None,
        timeout: float = 300.0,
        *,
        on_delta: OnDelta | None = None,
    ) -> Interaction:
        """Submit and read the answer as it is written; `on_delta` runs in the client's
        loop thread for each delta/reset event. Returns the stored answer."""
        return self._run(
            self.async_client.ask_streaming(
                prompt, mode, context, course_id, timeout, on_delta=on_delta
            )
        )

    def follow(
        self,
        item: Interaction,
        timeout: float = 300.0,
        *,
        on_delta: OnDelta | None = None,
        on_phase: OnPhase | None = None,
    ) -> Interaction:
        """Follow a submitted question to its stored answer (see AsyncTutorClient.follow);
        the callbacks run in the client's loop thread."""
        return self._run(
            self.async_client.follow(item, timeout, on_delta=on_delta, on_phase=on_phase)
        )

    def rate(
        self, interaction_id: str, *, helpful: bool | None = None, score: int | None = None
    ) -> None:
        """Rate an answer: helpful (thumbs up/down), a score from 1 to 5, or both."""
        self._run(self.async_client.rate(interaction_id, helpful=helpful, score=score))

    def escalate(self, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Ask a person (see AsyncTutorClient.escalate)."""
        return self._run(self.async_client.escalate(session_id, body))

    def escalation(
        self, escalation_id: str, wait: float = 0, seen: str | None = None
    ) -> dict[str, Any]:
        """An escalation, optionally once it changed (see AsyncTutorClient.escalation)."""
        return self._run(self.async_client.escalation(escalation_id, wait, seen))

    def withdraw(self, escalation_id: str) -> dict[str, Any]:
        """Take a request to a person back."""
        return self._run(self.async_client.withdraw(escalation_id))

    def quota(self, course_id: int | None = None) -> Quota:
        """The student's remaining questions (in a course's quota) and when they refill."""
        return self._run(self.async_client.quota(course_id))

    def start_session(self, course_id: int | None = None, client: str = "notebook") -> str:
        """Open a tutor session (a conversation) in a course; its id."""
        return self._run(self.async_client.start_session(course_id, client))

    def end_session(self, session_id: str) -> None:
        """End a tutor session: later questions start a new conversation."""
        self._run(self.async_client.end_session(session_id))

    def courses(self) -> Any:
        """The caller's courses as the API lists them."""
        return self._run(self.async_client.courses())

    def research_consent(self) -> bool:
        """Whether the caller takes part in research now."""
        return self._run(self.async_client.research_consent())

    def set_research_consent(self, given: bool) -> bool:
        """Take part in research, or stop; the new state."""
        return self._run(self.async_client.set_research_consent(given))
