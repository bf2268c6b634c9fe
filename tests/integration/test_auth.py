"""Accounts over HTTP against the running stack: register, login, rotation, revocation, refusals."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import jwt
import pytest

from tests.conftest import TEST_ENV
from tests.forged_tokens import access_claims, b64
from tests.support.eventually import eventually

SECRET = TEST_ENV["JWT_SECRET_KEY"]
PASSWORD = "Secret-pass-1"


def new_identity() -> dict[str, str]:
    name = f"a{uuid.uuid4().hex[:10]}"
    return {"email": f"{name}@example.org", "username": name, "password": PASSWORD}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_register_login_me(api: httpx.Client) -> None:
    ident = new_identity()
    r = api.post("/api/v1/auth/register", json=ident)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["username"] == ident["username"]
    assert created["roles"] == ["student"]
    assert "password" not in json.dumps(created) and "hash" not in json.dumps(created)

    r = api.post("/api/v1/auth/login", json={"username": ident["username"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    pair = r.json()
    assert pair["token_type"] == "bearer" and pair["expires_in"] > 0
    me = api.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == created["id"]
    assert me.json()["last_login"] is not None


def test_login_by_email_and_oauth2_form(api: httpx.Client) -> None:
    ident = new_identity()
    assert api.post("/api/v1/auth/register", json=ident).status_code == 201
    r = api.post("/api/v1/auth/login", json={"email": ident["email"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    r = api.post("/api/v1/auth/token", data={"username": ident["username"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert api.get("/api/v1/auth/me", headers=bearer(r.json()["access_token"])).status_code == 200


def test_register_cannot_grant_roles(api: httpx.Client) -> None:
    ident = new_identity()
    r = api.post("/api/v1/auth/register", json={**ident, "roles": ["admin"]})
    assert r.status_code == 422
    assert "roles" in r.json()["detail"]
    # Nothing was created: the same identity registers cleanly afterwards, as a student.
    r = api.post("/api/v1/auth/register", json=ident)
    assert r.status_code == 201 and r.json()["roles"] == ["student"]


def test_duplicate_username_and_email_conflict(api: httpx.Client) -> None:
    ident = new_identity()
    assert api.post("/api/v1/auth/register", json=ident).status_code == 201
    same_name = {**new_identity(), "username": ident["username"].upper()}
    r = api.post("/api/v1/auth/register", json=same_name)
    assert r.status_code == 409 and "username" in r.json()["detail"]
    same_email = {**new_identity(), "email": ident["email"].upper()}
    r = api.post("/api/v1/auth/register", json=same_email)
    assert r.status_code == 409 and "email" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"password": "short1A"}, "password must be"),
        ({"password": "alllowercase1"}, "password must be"),
        ({"username": "no spaces"}, "username"),
        ({"username": "ab"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": None}, "email"),
    ],
)
def test_register_refuses_bad_input_readably(api: httpx.Client, body: dict, mentions: str) -> None:
    payload = {k: v for k, v in {**new_identity(), **body}.items() if v is not None}
    r = api.post("/api/v1/auth/register", json=payload)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, str) and mentions in detail


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"username": 5, "password": []}', b""],
    ids=["broken json", "array", "wrong types", "empty"],
)
def test_malformed_login_bodies_are_422(api: httpx.Client, content: bytes) -> None:
    r = api.post(
        "/api/v1/auth/login", content=content, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_unknown_user_and_wrong_password_look_the_same(api: httpx.Client, make_user) -> None:
    user = make_user()
    wrong = api.post(
        "/api/v1/auth/login", json={"username": user.username, "password": "Nope-1234"}
    )
    unknown = api.post("/api/v1/auth/login", json={"username": "nobody-xyz", "password": "Nope-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_refresh_rotates_and_reuse_revokes_family(api: httpx.Client, make_user) -> None:
    user = make_user()
    first = user.refresh_token
    r = api.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200, r.text
    second = r.json()["refresh_token"]
    assert api.get("/api/v1/auth/me", headers=bearer(r.json()["access_token"])).status_code == 200

    # A second login is a different family and must survive the theft below.
    other = api.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
    other_refresh = other.json()["refresh_token"]

    replay = api.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]
    newest = api.post("/api/v1/auth/refresh", json={"refresh_token": second})
    assert newest.status_code == 401, "the family's newest token must be revoked too"
    assert (
        api.post("/api/v1/auth/refresh", json={"refresh_token": other_refresh}).status_code == 200
    )


def test_logout_revokes_access_and_refresh(api: httpx.Client, make_user) -> None:
    user = make_user()
    assert api.get("/api/v1/auth/me", headers=user.headers).status_code == 200
    r = api.post(
        "/api/v1/auth/logout", headers=user.headers, json={"refresh_token": user.refresh_token}
    )
    assert r.status_code == 204, r.text
    me = api.get("/api/v1/auth/me", headers=user.headers)
    assert me.status_code == 401 and "revoked" in me.json()["detail"]
    assert (
        api.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}).status_code
        == 401
    )


def test_change_password_revokes_refresh_tokens(api: httpx.Client, make_user) -> None:
    user = make_user()
    change = {"current_password": "Wrong-pass-9", "new_password": "Another-pass-2"}
    assert (
        api.post("/api/v1/auth/change-password", headers=user.headers, json=change).status_code
        == 400
    )
    weak = {"current_password": PASSWORD, "new_password": "weak"}
    r = api.post("/api/v1/auth/change-password", headers=user.headers, json=weak)
    assert r.status_code == 422 and "password must be" in r.json()["detail"]

    good = {"current_password": PASSWORD, "new_password": "Another-pass-2"}
    assert (
        api.post("/api/v1/auth/change-password", headers=user.headers, json=good).status_code == 204
    )
    assert (
        api.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}).status_code
        == 401
    )
    old = api.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
    assert old.status_code == 401
    new = api.post(
        "/api/v1/auth/login", json={"username": user.username, "password": "Another-pass-2"}
    )
    assert new.status_code == 200


def test_student_sets_own_consent_but_nothing_else(api: httpx.Client, make_user) -> None:
    user = make_user(consent=False)
    r = api.patch("/api/v1/auth/me", headers=user.headers, json={"research_consent": True})
    assert r.status_code == 200 and r.json()["research_consent"] is True
    r = api.patch("/api/v1/auth/me", headers=user.headers, json={"roles": ["admin"]})
    assert r.status_code == 422
    assert api.get("/api/v1/auth/me", headers=user.headers).json()["roles"] == ["student"]


# --- tokens crafted by an attacker ------------------------------------------------------------


def _claims(user_id: int, **overrides: object) -> dict:
    return access_claims(user_id, username="x", roles=["admin"], **overrides)


ATTACKS = {
    "tampered signature": lambda u: (
        jwt.encode(_claims(u.id), SECRET, algorithm="HS256")[:-4] + "AAAA"
    ),
    "expired": lambda u: jwt.encode(
        _claims(u.id, exp=int(time.time()) - 60), SECRET, algorithm="HS256"
    ),
    "wrong audience": lambda u: jwt.encode(
        _claims(u.id, aud="jupyterhub"), SECRET, algorithm="HS256"
    ),
    "alg none": lambda u: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(_claims(u.id))}.",
    "refresh as access": lambda u: u.refresh_token,
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_forged_tokens_are_refused(api: httpx.Client, make_user, attack: str) -> None:
    user = make_user()
    r = api.get("/api/v1/auth/me", headers=bearer(ATTACKS[attack](user)))
    assert r.status_code == 401, r.text
    assert r.headers.get("www-authenticate") == "Bearer"


def test_well_formed_crafted_token_is_accepted(api: httpx.Client, make_user) -> None:
    """Control for the attacks above: the same recipe with nothing broken gets in."""
    user = make_user()
    token = jwt.encode(_claims(user.id), SECRET, algorithm="HS256")
    assert api.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200


def test_missing_token_is_401(api: httpx.Client) -> None:
    assert api.get("/api/v1/auth/me").status_code == 401


# --- rotation under concurrency -----------------------------------------------------------------


def test_concurrent_refreshes_of_one_token_let_one_through(api: httpx.Client, make_user) -> None:
    from concurrent.futures import ThreadPoolExecutor

    user = make_user()

    def refresh(_: int) -> int:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as client:
            body = {"refresh_token": user.refresh_token}
            return client.post("/api/v1/auth/refresh", json=body).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(refresh, range(6)))
    assert codes == [200] + [401] * 5


def test_rotation_waits_for_the_row_lock(fresh_database_url: str) -> None:
    """SELECT ... FOR UPDATE: a rotation blocked behind another holder sees the token used."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import create_engine, select, text
    from sqlalchemy.orm import Session

    from ainative.auth import refresh_tokens, users
    from ainative.db.engine import normalise_url
    from ainative.db.models import RefreshToken

    engine = create_engine(normalise_url(fresh_database_url))
    try:
        with Session(engine) as s, s.begin():
            ident = new_identity()
            user = users.create_user(s, **ident)
            pair = refresh_tokens.issue_tokens(s, user=user)
        jti = uuid.UUID(jwt.decode(pair.refresh_token, options={"verify_signature": False})["jti"])

        holder = Session(engine)
        row = holder.execute(
            select(RefreshToken).where(RefreshToken.jti == jti).with_for_update()
        ).scalar_one()

        def rotate() -> str:
            with Session(engine) as s, s.begin():
                rotation = refresh_tokens.rotate_refresh_token(s, token=pair.refresh_token)
                return "rotated" if rotation.refusal is None else str(rotation.refusal)

        pool = ThreadPoolExecutor(1)
        try:
            future = pool.submit(rotate)
            # A busy machine can take many seconds to reach the lock: wait on the condition
            # with a generous deadline, not a fixed number of short sleeps. Autocommit: each
            # probe is its own transaction, so pg_stat_activity is read afresh (inside one
            # transaction Postgres keeps serving its first snapshot).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as probe:

                def lock_waiters() -> int:
                    return probe.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                        )
                    ).scalar_one()

                # -1: the rotation ended without waiting, which the assertion refuses at once
                waiting = eventually(
                    lambda: lock_waiters() or (future.done() and -1), 120, interval=0.05
                )
            assert waiting == 1, "the rotation should be waiting on the row lock"
            row.used_at = row.issued_at
            holder.commit()
            assert "already used" in future.result(timeout=120)
        finally:
            holder.close()  # releases the lock on failure too, so the rotation cannot hang
            pool.shutdown(wait=True)
    finally:
        engine.dispose()


# --- rate limits ------------------------------------------------------------------------------


def limited_app(**limits: int):
    from fastapi.testclient import TestClient

    from ainative.config import Settings
    from api.main import create_app

    settings = Settings(rate_limit_window_seconds=10**6, **limits)
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    return TestClient(create_app(settings), client=(ip, 50000))


def assert_429(r: httpx.Response, what: str) -> None:
    assert r.status_code == 429, r.text
    assert 0 < int(r.headers["Retry-After"]) <= 10**6
    assert f"too many {what} attempts" in r.json()["detail"]


def test_register_rate_limit_per_ip(services) -> None:
    with limited_app(register_rate_limit=2) as client:
        for _ in range(2):
            assert client.post("/api/v1/auth/register", json=new_identity()).status_code == 201
        assert_429(client.post("/api/v1/auth/register", json=new_identity()), "registration")


def test_login_rate_limit_per_ip(services) -> None:
    with limited_app(login_rate_limit=3) as client:
        for _ in range(3):
            body = {"username": f"nobody{uuid.uuid4().hex[:8]}", "password": "Whatever-1"}
            assert client.post("/api/v1/auth/login", json=body).status_code == 401
        body = {"username": "nobody", "password": "Whatever-1"}
        assert_429(client.post("/api/v1/auth/login", json=body), "login")


def test_attack_guessing_from_many_addresses_does_not_lock_out_the_owner(services) -> None:
    ident = new_identity()
    with limited_app(login_rate_limit=3) as client:
        assert client.post("/api/v1/auth/register", json=ident).status_code == 201
    wrong = {"username": ident["username"], "password": "Wrong-pass-1"}
    by_email = {"username": ident["email"], "password": "Wrong-pass-1"}
    for attempt in range(4):
        with limited_app(login_rate_limit=3) as client:  # a new address each time
            body = wrong if attempt % 2 else by_email
            assert client.post("/api/v1/auth/login", json=body).status_code == 401
    with limited_app(login_rate_limit=3) as client:
        right = {"username": ident["username"].upper(), "password": PASSWORD}
        assert client.post("/api/v1/auth/login", json=right).status_code == 200


def test_attack_one_counter_per_account_whatever_the_login_name(services) -> None:
    import redis

    from ainative.limits.ratelimit import FixedWindow

    ident = new_identity()
    window = 10**6
    with limited_app(login_rate_limit=100) as client:
        created = client.post("/api/v1/auth/register", json=ident)
        assert created.status_code == 201
        for login in (ident["username"], ident["email"], ident["username"].upper()):
            body = {"username": login, "password": "Wrong-pass-1"}
            assert client.post("/api/v1/auth/login", json=body).status_code == 401
    counter = FixedWindow("ratelimit:login", window)
    key = counter.key(f"account:user:{created.json()['id']}:{window}", time.time())
    with redis.Redis.from_url(services.redis_url) as r:
        assert int(r.get(key) or 0) == 3, "name, email and upper-case name are one account"


async def test_limiter_counts_before_the_check_and_gives_back_successes(services) -> None:
    import redis.asyncio as aioredis

    from ainative.config import Settings
    from ainative.limits import ratelimit

    settings = Settings(login_rate_limit=2, rate_limit_window_seconds=10**6)
    client = aioredis.Redis.from_url(services.redis_url)
    ip, account = f"ip-{uuid.uuid4().hex}", f"acct-{uuid.uuid4().hex}"
    begin = ratelimit.begin_login
    try:
        assert (await begin(client, ip=ip, account=account, settings=settings)).allowed
        await ratelimit.finish_login(
            client, ip=ip, account=account, succeeded=True, settings=settings
        )
        assert (await begin(client, ip=ip, account=account, settings=settings)).allowed
        third = await begin(client, ip=ip, account=account, settings=settings)
        assert not third.allowed and 0 < third.retry_after <= 10**6
        other_ip = await begin(client, ip=f"{ip}-other", account=account, settings=settings)
        assert other_ip.allowed, "another address is not locked out of the account"
    finally:
        await client.aclose()


async def test_limiter_fails_open_without_redis() -> None:
    import redis.asyncio as aioredis

    from ainative.limits import ratelimit
    from ainative.runtime.devservices import free_port

    dead = aioredis.Redis(port=free_port(), socket_connect_timeout=0.5)
    verdict = await ratelimit.hit(dead, "login", "x", limit=1, window=60)
    assert verdict.allowed
    await dead.aclose()
