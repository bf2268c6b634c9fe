"""AINativeAuthenticator decisions as truth tables, against a real migrated database.

The authenticator's methods are called directly; the few JupyterHub objects they touch
(request handler, User, Spawner) are stood in by tiny objects with the same attributes.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
import redis.asyncio as aioredis
from sqlalchemy import create_engine, select, text
from tornado import web

from ainative.auth.passwords import hash_password
from ainative.auth.tokens import decode_token, issue_access_token, issue_login_token
from ainative.config import get_settings
from ainative.db.models import RefreshToken
from ainative.hub.authenticator import INACTIVE_MESSAGE, AINativeAuthenticator
from ainative.limits import ratelimit
from ainative.runtime.devservices import free_port
from tests.support.factories import course_with_code, enrol

PASSWORD = "Secret-pass-1"
HANDLER = SimpleNamespace(request=SimpleNamespace(remote_ip="127.0.0.9"))


@pytest.fixture
def engine(fresh_database_url: str):
    eng = create_engine(fresh_database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def make_account(engine):
    """Insert a user straight into the platform DB; its courses through the services."""

    def make(
        roles: tuple[str, ...] = ("student",),
        active: bool = True,
        courses: tuple[tuple[str, str], ...] = (),
        username: str | None = None,
    ) -> SimpleNamespace:
        name = username or f"U{uuid.uuid4().hex[:8]}"
        with engine.begin() as conn:
            user_id = conn.execute(
                text(
                    "INSERT INTO users (email, username, password_hash, roles, is_active)"
                    " VALUES (:e, :u, :h, :r, :a) RETURNING id"
                ),
                {
                    "e": f"{name}@ex.org",
                    "u": name,
                    "h": hash_password(PASSWORD),
                    "r": list(roles),
                    "a": active,
                },
            ).scalar_one()
        for code, role in courses:
            enrol(engine, course_with_code(engine, code), [(user_id, role)])
        return SimpleNamespace(id=user_id, username=name)

    return make


@pytest.fixture
def auth(fresh_database_url: str, services) -> AINativeAuthenticator:
    return AINativeAuthenticator(database_url=fresh_database_url, redis_url=services.redis_url)


def set_active(engine, user_id: int, active: bool) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE users SET is_active = :a WHERE id = :i"), {"a": active, "i": user_id}
        )


def forged(user_id: int, **overrides: Any) -> str:
    """A login token with one claim changed, signed with the real key unless overridden."""
    s = get_settings()
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "type": "login",
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
        "iss": s.jwt_issuer,
        "aud": s.jwt_hub_audience,
    }
    key = overrides.pop("_key", s.jwt_secret_key)
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="HS256")


class FakeHubUser:
    """The two auth_state methods and the name of jupyterhub.user.User."""

    def __init__(self, name: str, state: dict | None = None) -> None:
        self.name, self.state = name, state

    async def get_auth_state(self) -> dict | None:
        return self.state

    async def save_auth_state(self, state: dict) -> None:
        self.state = state


@pytest.mark.parametrize(
    ("active", "password", "known", "outcome"),
    [
        (True, PASSWORD, True, "ok"),
        (True, "Wrong-pass-1", True, "refused"),
        (True, PASSWORD, False, "refused"),
        (False, PASSWORD, True, "inactive"),
        (False, "Wrong-pass-1", True, "refused"),  # no hint that the account exists
        (True, "", True, "refused"),
    ],
)
async def test_password_login(auth, make_account, active, password, known, outcome):
    account = make_account(active=active)
    username = account.username if known else "nobody-here"
    data = {"username": username, "password": password}
    if outcome == "inactive":
        with pytest.raises(web.HTTPError) as err:
            await auth.get_authenticated_user(HANDLER, data)
        assert err.value.status_code == 403 and err.value.log_message == INACTIVE_MESSAGE
        return
    model = await auth.get_authenticated_user(HANDLER, data)
    if outcome == "refused":
        assert model is None
    else:
        assert model["name"] == account.username.lower()
        assert model["auth_state"]["user_id"] == account.id


def _token_for(case: str, user_id: int) -> str:
    s = get_settings()
    return {
        "good": lambda: issue_login_token(user_id, "x").token,
        "expired": lambda: forged(user_id, iat=int(time.time()) - 300, exp=int(time.time()) - 60),
        "wrong_aud": lambda: forged(user_id, aud=s.jwt_audience),
        "wrong_iss": lambda: forged(user_id, iss="someone-else"),
        "wrong_type": lambda: forged(user_id, type="access"),
        "access_token": lambda: issue_access_token(user_id, "x", ["student"]).token,
        "bad_signature": lambda: forged(user_id, _key="another-secret-key-0123456789-abcdef"),
        "no_jti": lambda: forged(user_id, jti=None),
        "garbage": lambda: "not-a-jwt",
    }[case]()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("good", None),
        ("expired", "expired"),
        ("wrong_aud", "audience"),
        ("wrong_iss", "issuer"),
        ("wrong_type", "expected a login token"),
        ("access_token", "audience"),
        ("bad_signature", "signature"),
        ("no_jti", "jti"),
        ("garbage", "not valid"),
    ],
)
async def test_token_login(auth, make_account, case, message):
    account = make_account()
    data = {"token": _token_for(case, account.id)}
    if message is None:
        model = await auth.get_authenticated_user(HANDLER, data)
        assert model["name"] == account.username.lower()
        return
    with pytest.raises(web.HTTPError) as err:
        await auth.get_authenticated_user(HANDLER, data)
    assert err.value.status_code == 403
    assert message in err.value.log_message.lower()


@pytest.mark.parametrize(
    ("state", "expected"),
    [("active", "ok"), ("inactive", INACTIVE_MESSAGE), ("unknown", "no longer exists")],
)
async def test_token_login_account_state(auth, make_account, engine, state, expected):
    account = make_account(active=state != "inactive")
    user_id = account.id if state != "unknown" else account.id + 10_000
    data = {"token": issue_login_token(user_id, account.username).token}
    if expected == "ok":
        assert (await auth.get_authenticated_user(HANDLER, data))["name"]
        return
    with pytest.raises(web.HTTPError) as err:
        await auth.get_authenticated_user(HANDLER, data)
    assert expected in err.value.log_message


async def test_token_replay_refused(auth, make_account, engine):
    account = make_account()
    token = issue_login_token(account.id, account.username).token
    assert (await auth.get_authenticated_user(HANDLER, {"token": token}))["name"]
    with pytest.raises(web.HTTPError) as err:
        await auth.get_authenticated_user(HANDLER, {"token": token})
    assert "already been used" in err.value.log_message
    with engine.connect() as conn:
        used = conn.execute(text("SELECT count(*) FROM used_login_tokens")).scalar_one()
    assert used == 1


@pytest.mark.parametrize(
    ("roles", "courses", "admin", "groups", "hub_roles"),
    [
        (("student",), (), False, [], {"user"}),
        (("student",), (("CS101", "student"),), False, ["course-cs101"], {"user"}),
        (
            ("instructor",),
            (("CS101", "instructor"), ("Data 2", "student")),
            False,
            ["staff-cs101", "staff-data-2"],  # never in a group other instructors reach
            {"user", "instructor-course-cs101"},
        ),
        (("admin",), (), True, [], {"user", "admin"}),
        (("student", "admin"), (("CS101", "student"),), True, ["staff-cs101"], {"user", "admin"}),
    ],
)
async def test_roles_become_admin_groups_and_scopes(
    auth, make_account, roles, courses, admin, groups, hub_roles
):
    account = make_account(roles=roles, courses=courses)
    model = await auth.get_authenticated_user(
        HANDLER, {"username": account.username, "password": PASSWORD}
    )
    assert model["admin"] is admin
    assert model["groups"] == groups
    # every account may open the staff console; the console and the API decide powers
    assert {r["name"] for r in model["roles"]} == hub_roles | {"console-user"}
    for role in model["roles"]:
        if role["name"].startswith("instructor-"):
            group = role["name"].removeprefix("instructor-")
            assert f"access:servers!group={group}" in role["scopes"]


@pytest.mark.parametrize(
    ("allowed_courses", "roles", "courses", "allowed"),
    [
        (set(), ("student",), (), True),
        ({"CS101"}, ("student",), (("CS101", "student"),), True),
        ({"CS101"}, ("student",), (("MA200", "student"),), False),
        ({"CS101"}, ("student",), (), False),
        ({"CS101"}, ("admin",), (), True),
    ],
)
async def test_allowed_courses(
    fresh_database_url, services, make_account, allowed_courses, roles, courses, allowed
):
    auth = AINativeAuthenticator(
        database_url=fresh_database_url,
        redis_url=services.redis_url,
        allowed_courses=allowed_courses,
    )
    assert auth.allow_all is (not allowed_courses)
    account = make_account(roles=roles, courses=courses)
    model = await auth.get_authenticated_user(
        HANDLER, {"username": account.username, "password": PASSWORD}
    )
    assert (model is not None) is allowed


@pytest.mark.parametrize(
    ("change", "expected"), [("none", dict), ("deactivate", False), ("delete", False)]
)
async def test_refresh_user_rechecks_db(auth, make_account, engine, change, expected):
    account = make_account(courses=(("CS101", "student"),))
    model = await auth.get_authenticated_user(
        HANDLER, {"username": account.username, "password": PASSWORD}
    )
    user = FakeHubUser(model["name"], model["auth_state"])
    with engine.begin() as conn:
        if change == "deactivate":
            conn.execute(
                text("UPDATE users SET is_active = false WHERE id = :i"), {"i": account.id}
            )
        elif change == "delete":
            conn.execute(text("DELETE FROM users WHERE id = :i"), {"i": account.id})
    result = await auth.refresh_user(user)
    if expected is dict:
        assert result["groups"] == ["course-cs101"] and result["admin"] is False
    else:
        assert result is False


async def test_pre_spawn_start_puts_fresh_tokens_in_env(auth, make_account, engine):
    account = make_account()
    model = await auth.get_authenticated_user(
        HANDLER, {"username": account.username, "password": PASSWORD}
    )
    user = FakeHubUser(model["name"], model["auth_state"])
    spawner = SimpleNamespace(environment={})
    await auth.pre_spawn_start(user, spawner)
    env = spawner.environment
    assert env["AINATIVE_API_URL"] == auth.api_url
    claims = decode_token(env["AINATIVE_ACCESS_TOKEN"], "access")
    assert int(claims["sub"]) == account.id and claims["scope"] == "tutor"
    assert "AINATIVE_REFRESH_TOKEN" not in env
    key = decode_token(env["AINATIVE_SERVER_KEY"], "server")
    assert key["scope"] == "tutor-renew"
    assert key["fam"] != decode_token(model["auth_state"]["refresh_token"], "refresh")["fam"]
    assert user.state["server_key"] == env["AINATIVE_SERVER_KEY"]
    assert "refresh_token" not in user.state
    with engine.connect() as conn:
        row = conn.execute(
            select(RefreshToken).where(RefreshToken.jti == uuid.UUID(key["jti"]))
        ).one()
    assert row.user_id == account.id
    assert row.expires_at > datetime.now(UTC) + timedelta(days=1)

    set_active(engine, account.id, False)
    with pytest.raises(web.HTTPError) as err:
        await auth.pre_spawn_start(user, SimpleNamespace(environment={}))
    assert err.value.log_message == INACTIVE_MESSAGE


async def test_pre_spawn_start_tells_the_server_the_users_courses(auth, make_account, engine):
    code = f"CONV{uuid.uuid4().hex[:6]}"
    account = make_account(courses=((code, "student"), (f"{code}-TA", "instructor")))
    model = await auth.get_authenticated_user(
        HANDLER, {"username": account.username, "password": PASSWORD}
    )
    user = FakeHubUser(model["name"], model["auth_state"])
    spawner = SimpleNamespace(environment={})
    await auth.pre_spawn_start(user, spawner)
    courses = json.loads(spawner.environment["AINATIVE_COURSES"])
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT code, id FROM courses")).all())
    assert courses == [
        {"id": ids[code], "code": code, "title": code, "role": "student"},
        {
            "id": ids[f"{code}-TA"],
            "code": f"{code}-TA",
            "title": f"{code}-TA",
            "role": "instructor",
        },
    ]

    loner = make_account()
    model = await auth.get_authenticated_user(
        HANDLER, {"username": loner.username, "password": PASSWORD}
    )
    spawner = SimpleNamespace(environment={})
    await auth.pre_spawn_start(FakeHubUser(model["name"], model["auth_state"]), spawner)
    assert json.loads(spawner.environment["AINATIVE_COURSES"]) == []


async def test_password_attempts_are_rate_limited(fresh_database_url, services, make_account):
    auth = AINativeAuthenticator(
        database_url=fresh_database_url, redis_url=services.redis_url, login_rate_limit=2
    )
    account = make_account()
    handler = SimpleNamespace(request=SimpleNamespace(remote_ip=f"10.9.{uuid.uuid4().int % 250}.1"))
    wrong = {"username": account.username, "password": "Wrong-pass-1"}
    assert await auth.get_authenticated_user(handler, wrong) is None
    assert await auth.get_authenticated_user(handler, wrong) is None
    with pytest.raises(web.HTTPError) as err:
        await auth.get_authenticated_user(
            handler, {"username": account.username, "password": PASSWORD}
        )
    assert err.value.status_code == 429


async def test_hub_and_api_count_the_same_account_failures(
    fresh_database_url, services, make_account
):
    """Failures the API counted for an address block the hub's form from it too (one key
    scheme), and only from it: the owner elsewhere still logs in."""
    window = 10**6  # one window for the whole test
    auth = AINativeAuthenticator(
        database_url=fresh_database_url,
        redis_url=services.redis_url,
        login_rate_limit=2,
        rate_limit_window_seconds=window,
    )
    account = make_account()
    settings = get_settings().model_copy(
        update={"login_rate_limit": 2, "rate_limit_window_seconds": window}
    )
    ip = f"10.8.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    client = aioredis.Redis.from_url(services.redis_url)
    try:
        for _ in range(2):
            await ratelimit.begin_login(
                client, ip=ip, account=f"user:{account.id}", settings=settings
            )
    finally:
        await client.aclose()
    right = {"username": account.username, "password": PASSWORD}
    same_ip = SimpleNamespace(request=SimpleNamespace(remote_ip=ip))
    with pytest.raises(web.HTTPError) as err:
        await auth.get_authenticated_user(same_ip, right)
    assert err.value.status_code == 429
    owner_ip = SimpleNamespace(
        request=SimpleNamespace(remote_ip=f"10.7.{uuid.uuid4().int % 250}.1")
    )
    assert await auth.get_authenticated_user(owner_ip, right) is not None


async def test_login_works_when_the_limiter_redis_is_down(fresh_database_url, make_account):
    auth = AINativeAuthenticator(
        database_url=fresh_database_url, redis_url=f"redis://127.0.0.1:{free_port()}/0"
    )
    account = make_account()
    model = await auth.get_authenticated_user(
        HANDLER, {"username": account.username, "password": PASSWORD}
    )
    assert model["name"] == account.username.lower()


async def test_server_refresh_families_are_retired(auth, make_account, engine):
    account = make_account()
    model = await auth.get_authenticated_user(
        HANDLER, {"username": account.username, "password": PASSWORD}
    )
    user = FakeHubUser(model["name"], model["auth_state"])

    def family_revoked(token: str) -> bool:
        kind = jwt.decode(token, options={"verify_signature": False})["type"]
        fam = uuid.UUID(decode_token(token, kind)["fam"])
        with engine.connect() as conn:
            rows = conn.execute(
                select(RefreshToken.revoked_at).where(RefreshToken.family_id == fam)
            ).all()
        return bool(rows) and all(r.revoked_at is not None for r in rows)

    login_refresh = model["auth_state"]["refresh_token"]
    first, second = SimpleNamespace(environment={}), SimpleNamespace(environment={})
    await auth.pre_spawn_start(user, first)
    assert family_revoked(login_refresh)
    first_refresh = first.environment["AINATIVE_SERVER_KEY"]
    assert not family_revoked(first_refresh)
    await auth.pre_spawn_start(user, second)  # a new server replaces the first
    assert family_revoked(first_refresh)
    second_refresh = second.environment["AINATIVE_SERVER_KEY"]
    await auth.post_spawn_stop(user, second)
    assert family_revoked(second_refresh)


async def test_attack_hub_session_survives_no_password_change(auth, make_account, engine):
    """refresh_user ends the hub session of an older token generation (password changed)."""
    from sqlalchemy.orm import Session

    from ainative.auth import users as users_service

    account = make_account()
    model = await auth.get_authenticated_user(
        HANDLER, {"username": account.username, "password": PASSWORD}
    )
    user = FakeHubUser(model["name"], model["auth_state"])
    assert isinstance(await auth.refresh_user(user), dict)
    with Session(engine) as session, session.begin():
        users_service.change_password(
            session, user_id=account.id, current_password=PASSWORD, new_password="Other-pass-2"
        )
    assert await auth.refresh_user(user) is False


async def test_attack_relogin_leaves_no_old_refresh_family_alive(auth, make_account, engine):
    """A second login while a server runs revokes the family the old auth_state held."""
    account = make_account()
    credentials = {"username": account.username, "password": PASSWORD}
    first = await auth.get_authenticated_user(HANDLER, credentials)
    user = FakeHubUser(first["name"], first["auth_state"])
    spawner = SimpleNamespace(environment={})
    await auth.pre_spawn_start(user, spawner)
    server_key = spawner.environment["AINATIVE_SERVER_KEY"]
    server_jti = uuid.UUID(decode_token(server_key, "server")["jti"])
    handler = SimpleNamespace(
        request=HANDLER.request, find_user=lambda name: user if name == user.name else None
    )
    await auth.get_authenticated_user(handler, credentials)
    with engine.connect() as conn:
        row = conn.execute(select(RefreshToken).where(RefreshToken.jti == server_jti)).one()
    assert row.revoked_at is not None
