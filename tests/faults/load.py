"""Simulated students under faults: each asks, long-polls to the end, and keeps a ledger.

The accounts and tokens come from tests/bench/lab/students.py. Unlike the load lab's
client, every reply is kept with its status and Retry-After, because the faults
suite judges the replies themselves: a 503 must carry Retry-After, nothing may be
another 5xx, and no request may hang past the API's own timeout. A 503 on a poll is
retried after its Retry-After; a refused question is not asked again (it counts as
sent, not accepted).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.bench.lab.students import Student

FINAL = ("done", "error")
POLL_WAIT = 10.0  # seconds the student asks the API to hold a poll
SLACK = 15.0  # beyond its own timeout, a reply later than this counts as a hang


@dataclass
class Question:
    prompt: str
    sent_at: float
    submit_status: int | None = None
    id: str | None = None
    final: dict[str, Any] | None = None  # the body the student saw end the question

    @property
    def accepted(self) -> bool:
        return self.submit_status in (200, 202) and self.id is not None


@dataclass
class Ledger:
    """Every question asked and every reply seen, for one scenario."""

    tag: str
    questions: list[Question] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    no_retry_after: int = 0  # 503 replies without a Retry-After header
    hangs: int = 0  # requests that outlived the API's own timeout
    transport_errors: Counter[str] = field(default_factory=Counter)

    def prompt(self) -> str:
        return f"Why does my loop stop one item early? [{self.tag} {uuid.uuid4().hex[:12]}]"


class Students:
    """One aiohttp session that many simulated students share."""

    def __init__(self, api_url: str, ledger: Ledger) -> None:
        self.api_url = api_url.rstrip("/")
        self.ledger = ledger
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=POLL_WAIT + SLACK),
        )

    async def close(self) -> None:
        await self.session.close()

    async def _call(
        self, method: str, path: str, student: Student, body: Any = None
    ) -> tuple[int, Any, float]:
        """(status, JSON body, Retry-After seconds); status 0 when no reply came."""
        try:
            async with self.session.request(
                method, self.api_url + path, json=body, headers=student.headers
            ) as response:
                raw = await response.read()
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except TimeoutError:
            self.ledger.hangs += 1
            return 0, None, 1.0
        except (aiohttp.ClientError, OSError) as exc:
            self.ledger.transport_errors[type(exc).__name__] += 1
            return 0, None, 1.0
        self.ledger.statuses[status] += 1
        if status == 503 and not retry_after:
            self.ledger.no_retry_after += 1
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return status, parsed, float(retry_after or 1.0)

    async def ask(self, student: Student, until: float) -> None:
        """One question: submit, then poll until it ends or `until` (monotonic) passes."""
        q = Question(self.ledger.prompt(), time.time())
        self.ledger.questions.append(q)
        body = {"prompt": q.prompt, "mode": "socratic"}
        q.submit_status, reply, _ = await self._call(
            "POST", "/api/v1/tutor/requests", student, body
        )
        if q.submit_status not in (200, 202) or not isinstance(reply, dict):
            return
        q.id = str(reply["id"])
        while reply.get("status") not in FINAL:
            if time.monotonic() > until:
                return
            status, answer, retry_after = await self._call(
                "GET", f"/api/v1/tutor/requests/{q.id}?wait={POLL_WAIT:g}", student
            )
            if status == 200 and isinstance(answer, dict):
                reply = answer
            elif status in (0, 503):
                await asyncio.sleep(min(retry_after, 5.0))
            else:
                return  # a status the ledger's checks will flag
        q.final = reply

    async def run(self, students: list[Student], load_seconds: float, drain_seconds: float) -> None:
        """Each student asks question after question for `load_seconds`, then waits out
        its last one for at most `drain_seconds`."""
        stop_asking = time.monotonic() + load_seconds
        until = stop_asking + drain_seconds

        async def student_loop(student: Student) -> None:
            await asyncio.sleep(random.uniform(0, 1.0))
            while time.monotonic() < stop_asking:
                await self.ask(student, until)
                await asyncio.sleep(random.uniform(0.1, 0.5))

        await asyncio.gather(*(student_loop(s) for s in students))
