"""A lab's burst against an API whose database pool is too small: 503 + Retry-After, never 500,
and the pool comes back by itself.

The API of this test's own stack has one pooled connection and waits 0.5 s for it. A
table lock held by the test makes the first INSERT hang on that connection, so the
questions behind it find the pool exhausted. Their clients give up; once the lock is
gone, no connection may stay checked out and the next question must be answered.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import aiohttp
import httpx
from sqlalchemy import create_engine, text

from ainative.db.engine import normalise_url
from api.state import POOL_REFRESH_SECONDS
from tests.conftest import start_own_stack
from tests.integration.opsutil import METRICS_HEADERS
from tests.support.eventually import eventually

BURST = 12
OVERLOAD_ENV = {
    "API_WORKERS": "1",
    "DB_POOL_SIZE": "1",
    "DB_MAX_OVERFLOW": "0",
    "API_DB_POOL_TIMEOUT": "0.5",
}


async def _burst(api_url: str, token: str, n: int) -> list[tuple[int | str, str | None]]:
    """n questions at once, each client giving up after 3 s: (status or 'timeout', Retry-After)."""
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=3)

    async def ask(session: aiohttp.ClientSession, i: int) -> tuple[int | str, str | None]:
        body = {"prompt": f"Why does my loop stop early? ({i})", "mode": "socratic"}
        try:
            async with session.post(
                f"{api_url}/api/v1/tutor/requests", json=body, headers=headers
            ) as reply:
                await reply.read()
                return reply.status, reply.headers.get("Retry-After")
        except TimeoutError:
            return "timeout", None

    async with aiohttp.ClientSession(timeout=timeout) as session:
        return await asyncio.gather(*(ask(session, i) for i in range(n)))


def _checked_out(api: httpx.Client) -> float:
    """This API's checked-out connections as its /metrics says (all its processes)."""
    body = api.get("/metrics", headers=METRICS_HEADERS).text
    match = re.search(r"^ainative_db_pool_checked_out(?:\{[^}]*\})? (\S+)$", body, re.M)
    if match is None:
        raise AssertionError("ainative_db_pool_checked_out is not exported")
    return float(match.group(1))


def test_an_exhausted_pool_answers_503_and_recovers(services, fake_llm, output_dir: Path):
    with start_own_stack(services, fake_llm, output_dir, OVERLOAD_ENV) as own:
        user = own.make_user()
        engine = create_engine(normalise_url(own.stack.database_url))
        try:
            with engine.connect() as locker:
                locker.execute(text("LOCK TABLE interactions IN ACCESS EXCLUSIVE MODE"))
                results = asyncio.run(_burst(own.stack.api_url, user.access_token, BURST))
                locker.rollback()  # the lock goes; the hung INSERT may finish now
        finally:
            engine.dispose()

        statuses = [status for status, _ in results]
        assert 500 not in statuses, statuses
        assert set(statuses) <= {503, "timeout", 202}, statuses
        refused = [retry for status, retry in results if status == 503]
        assert refused, f"expected 503s while the pool was exhausted, got {statuses}"
        assert all(retry is not None and int(retry) > 0 for retry in refused), results

        # The gauge is refreshed every POOL_REFRESH_SECONDS, so one 0 may predate the hung
        # request's checkout: 0 counts once it holds across a refresh.
        def zero_across_a_refresh() -> bool:
            if _checked_out(own.api) != 0:
                return False
            time.sleep(POOL_REFRESH_SECONDS + 0.5)
            return _checked_out(own.api) == 0

        assert eventually(zero_across_a_refresh, 120, interval=0.5)

        headers = {"Authorization": f"Bearer {user.access_token}"}
        asked = own.api.post(
            "/api/v1/tutor/requests",
            json={"prompt": "And now, after the rush?", "mode": "hints"},
            headers=headers,
        )
        assert asked.status_code == 202, asked.text
        answer = own.api.get(
            f"/api/v1/tutor/requests/{asked.json()['id']}", params={"wait": 30}, headers=headers
        ).json()
        assert answer["status"] == "done" and answer["answer"], answer

        metrics = own.api.get("/metrics", headers=METRICS_HEADERS).text
        counted = re.search(r'^ainative_unavailable_total\{cause="db_pool"\} (\S+)$', metrics, re.M)
        assert counted is not None and float(counted.group(1)) == len(refused)
