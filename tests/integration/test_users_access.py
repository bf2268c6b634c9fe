"""(De)activating an account: one service saves it and flips the Redis flag live tokens check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from ainative.auth import users
from ainative.config import Settings
from ainative.runtime.devservices import free_port

SETTINGS = Settings(jwt_access_token_expire_minutes=7)


@pytest.fixture
def session(fresh_database_url: str) -> Iterator[Session]:
    engine = create_engine(fresh_database_url)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


def _student(session: Session) -> int:
    return users.create_user(
        session, username="sam", email="sam@example.org", password="Secret-pass-1"
    ).id


async def test_deactivation_sets_the_flag_and_reactivation_clears_it(session, services) -> None:
    user_id = _student(session)
    redis = aioredis.Redis.from_url(services.redis_url, decode_responses=True)
    key = users.disabled_user_key(user_id)
    try:
        user = await users.update_account(
            session, redis, user_id=user_id, is_active=False, settings=SETTINGS
        )
        assert user.is_active is False
        assert await redis.get(key) == "1"
        assert 7 * 60 < await redis.ttl(key) <= 7 * 60 + 10
        await users.update_account(session, redis, user_id=user_id, is_active=True)
        assert await redis.get(key) is None
    finally:
        await redis.aclose()


async def test_redis_down_saves_then_says_so(session) -> None:
    user_id = _student(session)
    dead = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    try:
        with pytest.raises(users.AccessNotUpdatedError, match="saved, but"):
            await users.update_account(session, dead, user_id=user_id, is_active=False)
    finally:
        await dead.aclose()
    session.expire_all()
    assert users.get_user(session, user_id=user_id).is_active is False


@pytest.mark.parametrize("change", [{"is_active": False}, {"roles": ["student"]}])
async def test_admins_cannot_lock_themselves_out(session, change) -> None:
    user_id = _student(session)
    with pytest.raises(users.SelfLockoutError):
        await users.update_account(session, None, user_id=user_id, actor_id=user_id, **change)
    session.expire_all()
    assert users.get_user(session, user_id=user_id).is_active is True


async def test_unknown_user_is_refused(session) -> None:
    with pytest.raises(users.UserNotFoundError, match="no user with id 999999"):
        await users.update_account(session, None, user_id=999999, roles=["student"])
