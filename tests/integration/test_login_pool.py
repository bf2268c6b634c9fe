"""A login holds no pooled connection while it awaits Redis.

The API of this test's own stack has ONE pooled connection (no overflow) and waits 3 s
for it. The account is under attack (one failed login past LOGIN_ACCOUNT_LIMIT=1), so
each further attempt waits LOGIN_SLOWDOWN_SECONDS=5 inside the rate limit's Redis step,
after the login key's SELECT and before the password check. Two logins at once must both
succeed: had the first kept its connection across that await (the session that read the
login key used to keep its transaction open), the second would wait for it past the
pool timeout and answer 503.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_own_stack

pytestmark = pytest.mark.integration

SLOWDOWN = 5.0
ONE_CONNECTION_ENV = {
    "API_WORKERS": "1",
    "DB_POOL_SIZE": "1",
    "DB_MAX_OVERFLOW": "0",
    "API_DB_POOL_TIMEOUT": "3",
    "LOGIN_ACCOUNT_LIMIT": "1",
    "LOGIN_SLOWDOWN_SECONDS": str(SLOWDOWN),
}


async def _logins(api_url: str, username: str, password: str, n: int) -> list[int]:
    body = {"username": username, "password": password}
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as client:
        replies = await asyncio.gather(
            *(client.post("/api/v1/auth/login", json=body) for _ in range(n))
        )
    return [r.status_code for r in replies]


def test_slowed_logins_hold_no_connection_while_they_wait(services, fake_llm, output_dir: Path):
    with start_own_stack(services, fake_llm, output_dir, ONE_CONNECTION_ENV) as own:
        user = own.make_user(consent=False)
        wrong = {"username": user.username, "password": "not-the-password-1"}
        assert own.api.post("/api/v1/auth/login", json=wrong).status_code == 401

        started = time.monotonic()
        statuses = asyncio.run(_logins(own.stack.api_url, user.username, user.password, 2))
        elapsed = time.monotonic() - started

        assert statuses == [200, 200], statuses
        # Both were slowed down (the account is over its limit), and they waited together.
        assert SLOWDOWN <= elapsed < 2 * SLOWDOWN, elapsed
