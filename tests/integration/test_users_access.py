"""(De)activating an account: one service saves it and flips the Redis flag live tokens check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from ainative.auth import errors, revocation, users
from ainative.config import Settings
from ainative.db.models import User
from ainative.runtime.devservices import free_port

SETTINGS = Settings(jwt_access_token_expire_minutes=7)


@pytest.fixture
def session(fresh_database_url: str) -> Iterator[Session]:
    engine = create_engine(fresh_database_url)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


def _student(session: Session) -> int:
    user = users.create_user(
        session, username="sam", email="sam@example.org", password="Secret-pass-1"
    )
    session.commit()
    return user.id


async def _change(session: Session, redis: aioredis.Redis | None, **change) -> User:
    """As the API does it: save and commit, then publish to Redis."""
    user = users.update_account(session, **change)
    session.commit()
    await revocation.publish_account(
        redis,
        user_id=user.id,
        generation=user.token_generation,
        is_active=change.get("is_active"),
        settings=SETTINGS,
    )
    return user


async def test_deactivation_sets_the_flag_and_reactivation_clears_it(session, services) -> None:
    user_id = _student(session)
    redis = aioredis.Redis.from_url(services.redis_url, decode_responses=True)
    key = revocation.disabled_user_key(user_id)
    try:
        user = await _change(session, redis, user_id=user_id, is_active=False)
        assert user.is_active is False
        assert await redis.get(key) == "1"
        # as long as the longest access token issued before it: a server's scoped one (60 min)
        longest = max(
            SETTINGS.jwt_access_token_expire_minutes, SETTINGS.jwt_server_token_expire_minutes
        )
        assert longest * 60 < await redis.ttl(key) <= longest * 60 + 10
        await _change(session, redis, user_id=user_id, is_active=True)
        assert await redis.get(key) is None
    finally:
        await redis.aclose()


async def test_redis_down_saves_then_says_so(session) -> None:
    user_id = _student(session)
    dead = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    try:
        with pytest.raises(errors.AccessNotUpdatedError, match="saved, but"):
            await _change(session, dead, user_id=user_id, is_active=False)
    finally:
        await dead.aclose()
    session.expire_all()
    assert users.get_user(session, user_id=user_id).is_active is False


@pytest.mark.parametrize("change", [{"is_active": False}, {"roles": ["student"]}])
async def test_admins_cannot_lock_themselves_out(session, change) -> None:
    user_id = _student(session)
    with pytest.raises(errors.SelfLockoutError):
        await _change(session, None, user_id=user_id, actor_id=user_id, **change)
    session.rollback()
    session.expire_all()
    assert users.get_user(session, user_id=user_id).is_active is True


async def test_unknown_user_is_refused(session) -> None:
    with pytest.raises(errors.UserNotFoundError, match="no user with id 999999"):
        await _change(session, None, user_id=999999, roles=["student"])
