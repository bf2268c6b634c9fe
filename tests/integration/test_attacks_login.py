"""Findings 4 and 5: guessing passwords, racing the limit, and blaming someone else's address.

An API of this module's own with the production login limit (20 per window) runs on the
shared database; clients connect from distinct loopback addresses (127.x.y.z), directly
or through the committed nginx configuration, so the API sees real peers.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.nginxutil import edge_nginx
from tests.integration.opsutil import scrape, value
from tests.stack import Stack

LIMIT = 20
WRONG = "Wrong-pass-1"


@pytest.fixture(scope="module")
def guarded(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The API alone, with LOGIN_RATE_LIMIT=20 and a window longer than the module."""
    env = {**stack.env, "LOGIN_RATE_LIMIT": str(LIMIT), "RATE_LIMIT_WINDOW_SECONDS": "1000000"}
    own = Stack(services=stack.services, env=env, log_dir=tmp_path_factory.mktemp("guarded"))
    own.start_api()
    try:
        yield own
    finally:
        own.stop()


def loopback() -> str:
    """A loopback address of its own (Linux routes all of 127/8 to lo)."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


def client_from(address: str, base_url: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address, verify=False)
    return httpx.Client(base_url=base_url, transport=transport, timeout=60)


def password_checks(api_url: str) -> float:
    return value(scrape(f"{api_url}/metrics"), "ainative_password_checks_total")


def test_attack_50_concurrent_guesses_reach_bcrypt_at_most_limit_times(
    guarded: Stack, make_user
) -> None:
    victim = make_user()
    attacker = loopback()
    before = password_checks(guarded.api_url)

    async def guess(client: httpx.AsyncClient, login: str) -> int:
        r = await client.post("/api/v1/auth/login", json={"username": login, "password": WRONG})
        return r.status_code

    async def attack() -> list[int]:
        transport = httpx.AsyncHTTPTransport(local_address=attacker)
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(
            base_url=guarded.api_url, transport=transport, timeout=120, limits=limits
        ) as client:
            names = [victim.username, victim.email, victim.username.upper()]
            return await asyncio.gather(*(guess(client, names[i % 3]) for i in range(50)))

    statuses = asyncio.run(attack())
    checked = password_checks(guarded.api_url) - before
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= LIMIT, statuses
    assert statuses.count(429) >= 50 - LIMIT
    assert checked == statuses.count(401), "every 401 cost one bcrypt check, every 429 none"
    # The owner, from their own address, is not locked out.
    with client_from(loopback(), guarded.api_url) as owner:
        r = owner.post(
            "/api/v1/auth/login", json={"username": victim.username, "password": victim.password}
        )
        assert r.status_code == 200, r.text


def test_attack_failed_logins_through_nginx_count_per_client_not_per_proxy(
    guarded: Stack, make_user, tmp_path: Path
) -> None:
    victim = make_user()
    a, b = loopback(), loopback()
    api_address = guarded.api_url.removeprefix("http://")
    with edge_nginx(tmp_path, api_address) as edge:
        wrong = {"username": victim.username, "password": WRONG}
        # A tries to blame B (and a stranger) in the headers nginx must overwrite.
        forged = {"X-Forwarded-For": b, "X-Real-IP": b}
        with client_from(a, edge.base) as from_a:
            codes = [
                from_a.post("/api/v1/auth/login", json=wrong, headers=forged).status_code
                for _ in range(LIMIT + 1)
            ]
        assert codes == [401] * LIMIT + [429], codes
        with client_from(b, edge.base) as from_b:
            assert from_b.post("/api/v1/auth/login", json=wrong).status_code == 401
            right = {"username": victim.username, "password": victim.password}
            assert from_b.post("/api/v1/auth/login", json=right).status_code == 200
    # Straight to the API, A is not a trusted proxy: its X-Forwarded-For is not believed.
    with client_from(a, guarded.api_url) as direct:
        r = direct.post("/api/v1/auth/login", json=wrong, headers={"X-Forwarded-For": loopback()})
        assert r.status_code == 429, r.text


def test_attack_change_password_guessing_with_a_stolen_token_gets_429(
    guarded: Stack, make_user
) -> None:
    """Issue 20.10: a stolen access token guesses the current password on change-password;
    40 concurrent guesses reach bcrypt at most LIMIT times, and other addresses fare no
    better (the account's limit is hard), each refusal a 429 with Retry-After."""
    victim = make_user()
    stolen = victim.headers
    before = password_checks(guarded.api_url)
    guess = {"current_password": WRONG, "new_password": "Taken-over-1"}

    async def attack(address: str, count: int) -> list[httpx.Response]:
        transport = httpx.AsyncHTTPTransport(local_address=address)
        async with httpx.AsyncClient(
            base_url=guarded.api_url,
            transport=transport,
            timeout=120,
            limits=httpx.Limits(max_connections=count),
        ) as client:
            return await asyncio.gather(
                *(
                    client.post("/api/v1/auth/change-password", json=guess, headers=stolen)
                    for _ in range(count)
                )
            )

    replies = asyncio.run(attack(loopback(), 40))
    statuses = [r.status_code for r in replies]
    checked = password_checks(guarded.api_url) - before
    assert 429 in statuses, statuses
    assert statuses.count(429) >= 40 - LIMIT, statuses
    assert checked == len(statuses) - statuses.count(429), "a 429 costs no bcrypt check"
    assert all(int(r.headers["Retry-After"]) > 0 for r in replies if r.status_code == 429)
    # A fresh address gets no fresh budget: the account's count is spent.
    elsewhere = asyncio.run(attack(loopback(), 3))
    assert [r.status_code for r in elsewhere] == [429] * 3
    # Nothing changed: the owner still logs in with the password they had.
    with client_from(loopback(), guarded.api_url) as owner:
        r = owner.post(
            "/api/v1/auth/login", json={"username": victim.username, "password": victim.password}
        )
        assert r.status_code == 200, r.text
