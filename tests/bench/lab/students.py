"""Simulated students: accounts made in bulk, and an aiohttp client that asks like the widget.

Accounts are inserted in one statement with one precomputed password hash, and their
access tokens minted with the platform's own token code, so neither bcrypt nor the
login route is inside any measured figure. Asking is what the widget does:
POST /api/v1/tutor/requests, then the long-poll GET ...?wait=30 until done or error, or
(stream scenario) the SSE stream GET .../stream until its final event.
aiohttp, not httpx: httpx.AsyncClient adds about 0.9 s median at 100 concurrent
requests on this kind of machine, which would swamp what we measure.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from ainative.config import Settings
from ainative.notebook.wire import SSEDecoder

POLL_WAIT = 30  # seconds, as the widget asks (the API caps it at LONG_POLL_MAX_SECONDS)
FINAL = ("done", "error")
INSERT_USERS = """
INSERT INTO users (email, username, password_hash, research_consent)
SELECT :prefix || g || '@example.org', :prefix || g, :hash, true FROM generate_series(1, :n) g
RETURNING id, username
"""


@dataclass(frozen=True)
class Student:
    id: int
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def create_students(database_url: str, count: int, settings: Settings) -> list[Student]:
    """`count` student accounts in one INSERT, each with a fresh access token."""
    from ainative.auth.passwords import hash_password
    from ainative.auth.tokens import issue_access_token

    prefix = f"lab{uuid.uuid4().hex[:6]}u"
    password_hash = hash_password(uuid.uuid4().hex)  # one hash for all: nobody logs in
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            params = {"prefix": prefix, "hash": password_hash, "n": count}
            rows = conn.execute(text(INSERT_USERS), params).all()
    finally:
        engine.dispose()

    def token(user_id: int, username: str) -> str:
        return issue_access_token(user_id, username, ["student"], settings).token

    return [Student(row.id, row.username, token(row.id, row.username)) for row in sorted(rows)]


def unique_question(tag: str) -> str:
    """A question no one asked before: never a cache hit."""
    return f"Why does my loop stop one item early? ({tag} {uuid.uuid4().hex[:12]})"


@dataclass
class Recorder:
    """What happened to each question, with monotonic timestamps for windowed rates."""

    submits: list[tuple[float, float]] = field(default_factory=list)  # (at, seconds)
    answers: list[tuple[float, float]] = field(default_factory=list)  # (at, submit->answer)
    hits: list[tuple[float, float]] = field(default_factory=list)  # (at, seconds)
    errors: Counter[str] = field(default_factory=Counter)
    asked: int = 0
    held: int = 0  # idle scenario: long-polls that ended still unanswered, as expected
    first_tokens: list[tuple[float, float]] = field(default_factory=list)  # (at, start->text)
    after_submit: list[tuple[float, float]] = field(default_factory=list)  # (at, 202->text)
    stages: list[dict[str, Any]] = field(default_factory=list)  # final events' timings (ms)
    stream_opens: list[tuple[float, float]] = field(default_factory=list)  # (at, 202->headers)
    relays: list[tuple[float, float]] = field(default_factory=list)  # (at, XADD->client)

    def error(self, key: str) -> None:
        self.errors[key] += 1

    def merge(self, other: Recorder) -> None:
        self.submits += other.submits
        self.answers += other.answers
        self.hits += other.hits
        self.errors.update(other.errors)
        self.asked += other.asked
        self.held += other.held
        self.first_tokens += other.first_tokens
        self.after_submit += other.after_submit
        self.stages += other.stages
        self.stream_opens += other.stream_opens
        self.relays += other.relays


class Client:
    """One aiohttp session for the whole simulated population."""

    def __init__(self, api_url: str, question_timeout: float) -> None:
        self.api_url = api_url.rstrip("/")
        self.question_timeout = question_timeout
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, force_close=False),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=POLL_WAIT + 30),
        )

    async def close(self) -> None:
        await self.session.close()

    async def _call(
        self, method: str, url: str, student: Student | None = None, body: Any = None
    ) -> tuple[int, Any]:
        headers = student.headers if student else {}
        async with self.session.request(method, url, json=body, headers=headers) as response:
            raw = await response.read()
            try:
                return response.status, json.loads(raw) if raw else None
            except ValueError:
                return response.status, None

    async def submit(
        self, student: Student, prompt: str, mode: str = "socratic"
    ) -> tuple[int, Any]:
        return await self._call(
            "POST",
            f"{self.api_url}/api/v1/tutor/requests",
            student,
            {"prompt": prompt, "mode": mode},
        )

    async def poll(self, student: Student, interaction_id: str, wait: float) -> tuple[int, Any]:
        url = f"{self.api_url}/api/v1/tutor/requests/{interaction_id}?wait={wait:g}"
        return await self._call("GET", url, student)

    async def ask(
        self, student: Student, prompt: str, rec: Recorder, hit_only: bool = False
    ) -> None:
        """Submit, then long-poll to the end; every outcome lands in `rec`.

        With `hit_only` (cache scenario) a 202 is recorded as a `cache_miss` error.
        """
        rec.asked += 1
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.question_timeout):
                status, body = await self.submit(student, prompt)
                now = time.perf_counter()
                if status == 200 and body and body.get("status") == "done":
                    rec.hits.append((now, now - started))
                    return
                if status != 202:
                    rec.error(str(status))
                    return
                if hit_only:
                    rec.error("cache_miss")
                    return
                rec.submits.append((now, now - started))
                while body.get("status") not in FINAL:
                    status, body = await self.poll(student, body["id"], POLL_WAIT)
                    if status != 200:
                        rec.error(str(status))
                        return
                now = time.perf_counter()
                if body["status"] == "done":
                    rec.answers.append((now, now - started))
                else:
                    rec.error("answer_error")
        except asyncio.CancelledError:
            rec.error("scenario_timeout")
            raise
        except aiohttp.ServerTimeoutError:
            rec.error("client_timeout")
        except TimeoutError:
            rec.error("question_timeout")
        except (aiohttp.ClientError, OSError, ValueError, KeyError) as exc:
            rec.error(type(exc).__name__)

    async def _first_text(
        self, response: aiohttp.ClientResponse, started: float, submitted: float, rec: Recorder
    ) -> str | None:
        """Read an answer's SSE stream to its end; records when the first text arrived.
        Returns the final event's data (None if the stream ended without one)."""
        decoder, first = SSEDecoder(), True
        async for raw in response.content:
            found = decoder.feed(raw.decode().rstrip("\r\n"))
            if found is None:
                continue
            kind, data, entry_id = found
            if kind == "final":
                return data
            if first and kind in ("delta", "reset") and json.loads(data).get("text"):
                first = False
                now = time.perf_counter()
                if entry_id:  # a Redis stream id starts with the XADD's server time in ms
                    added = int(entry_id.split("-")[0]) / 1000
                    rec.relays.append((now, time.time() - added))
                rec.first_tokens.append((now, now - started))
                rec.after_submit.append((now, now - submitted))
        return None

    async def ask_streaming(self, student: Student, prompt: str, rec: Recorder) -> None:
        """Submit, then read the answer's SSE stream to its final event (the widget's way)."""
        rec.asked += 1
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.question_timeout):
                status, body = await self.submit(student, prompt)
                now = time.perf_counter()
                if status != 202:
                    rec.error(str(status))
                    return
                rec.submits.append((now, now - started))
                url = f"{self.api_url}/api/v1/tutor/requests/{body['id']}/stream"
                async with self.session.get(url, headers=student.headers) as response:
                    opened = time.perf_counter()
                    rec.stream_opens.append((opened, opened - now))
                    if response.status != 200:
                        rec.error(str(response.status))
                        return
                    final = await self._first_text(response, started, now, rec)
            now = time.perf_counter()
            stored = json.loads(final) if final is not None else {}
            rec.stages.append({k: stored.get(k) for k in ("queue_ms", "ttft_ms", "llm_ms")})
            if stored.get("status") == "done":
                rec.answers.append((now, now - started))
            else:
                rec.error("answer_error" if final else "stream_ended")
        except asyncio.CancelledError:
            rec.error("scenario_timeout")
            raise
        except aiohttp.ServerTimeoutError:
            rec.error("client_timeout")
        except TimeoutError:
            rec.error("question_timeout")
        except (aiohttp.ClientError, OSError, ValueError, KeyError) as exc:
            rec.error(type(exc).__name__)

    async def hold(self, student: Student, prompt: str, seconds: float, rec: Recorder) -> None:
        """Ask, then keep long-polling for `seconds` (idle scenario: no answer is expected)."""
        rec.asked += 1
        started = time.perf_counter()
        try:
            status, body = await self.submit(student, prompt)
            if status != 202:
                rec.error(str(status))
                return
            rec.submits.append((time.perf_counter(), time.perf_counter() - started))
            while body.get("status") not in FINAL:
                left = seconds - (time.perf_counter() - started)
                if left <= 0:
                    rec.held += 1
                    return
                status, body = await self.poll(student, body["id"], min(POLL_WAIT, max(1, left)))
                if status != 200:
                    rec.error(str(status))
                    return
            now = time.perf_counter()
            rec.answers.append((now, now - started))
        except asyncio.CancelledError:
            rec.error("scenario_timeout")
            raise
        except aiohttp.ServerTimeoutError:
            rec.error("client_timeout")
        except (aiohttp.ClientError, OSError, ValueError, KeyError) as exc:
            rec.error(type(exc).__name__)

    async def probe(self, student: Student, timeout: float = 5.0) -> bool:
        """Does the API answer a request that needs a thread and a pooled connection?"""
        try:
            async with asyncio.timeout(timeout):
                url = f"{self.api_url}/api/v1/tutor/requests?limit=1"
                status, _ = await self._call("GET", url, student)
        except (TimeoutError, aiohttp.ClientError, OSError):
            return False
        return status == 200

    async def ask_fake_streaming(self, base_url: str, prompt: str, rec: Recorder) -> None:
        """One streamed completion straight to the fake: its own time to first token."""
        rec.asked += 1
        started = time.perf_counter()
        body = {
            "model": "fake-model",
            "messages": [{"role": "user", "content": prompt}],
            "stream": True,
        }
        try:
            async with asyncio.timeout(self.question_timeout):
                url = f"{base_url}/chat/completions"
                async with self.session.post(url, json=body) as response:
                    if response.status != 200:
                        rec.error(str(response.status))
                        return
                    async for raw in response.content:
                        line = raw.decode().strip()
                        if not line.startswith("data: {"):
                            continue
                        choices = json.loads(line[6:]).get("choices") or [{}]
                        if choices[0].get("delta", {}).get("content"):
                            now = time.perf_counter()
                            rec.first_tokens.append((now, now - started))
                            break
                    await response.read()
            now = time.perf_counter()
            rec.answers.append((now, now - started))
        except TimeoutError:
            rec.error("question_timeout")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            rec.error(type(exc).__name__)

    async def ask_fake(self, base_url: str, prompt: str, rec: Recorder) -> None:
        """One chat completion straight to the fake LLM: the floor of what we measure."""
        rec.asked += 1
        started = time.perf_counter()
        body = {"model": "fake-model", "messages": [{"role": "user", "content": prompt}]}
        try:
            async with asyncio.timeout(self.question_timeout):
                status, _ = await self._call("POST", f"{base_url}/chat/completions", body=body)
            now = time.perf_counter()
            if status == 200:
                rec.answers.append((now, now - started))
            else:
                rec.error(str(status))
        except TimeoutError:
            rec.error("question_timeout")
        except (aiohttp.ClientError, OSError) as exc:
            rec.error(type(exc).__name__)
