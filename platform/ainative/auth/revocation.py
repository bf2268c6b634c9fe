"""Revocation flags in Redis: what stops a live access token before it expires.

Access tokens are checked without a database round trip (api.deps reads these keys in
one MGET): a logged-out token by its jti, a deactivated account, and the account's
token generation (a password or role change starts a new one). Each key lives as long
as an access token can, so none outlives the tokens it refuses.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ainative.auth.errors import AccessNotUpdatedError
from ainative.config import Settings, get_settings


def revoked_access_key(jti: str) -> str:
    """Redis key marking one access token (by jti) as logged out."""
    return f"auth:revoked:access:{jti}"


def disabled_user_key(user_id: int) -> str:
    """Redis key marking a deactivated user, so their live access tokens stop at once."""
    return f"auth:disabled:user:{user_id}"


def token_generation_key(user_id: int) -> str:
    """Redis key holding a user's token generation: access tokens of an older one are refused."""
    return f"auth:gen:user:{user_id}"


def disabled_flag_ttl(settings: Settings) -> int:
    """Seconds the disabled flag must live: longer than any access token issued before it
    (a server's scoped token included)."""
    longest = max(
        settings.jwt_access_token_expire_minutes, settings.jwt_server_token_expire_minutes
    )
    return longest * 60 + 10


async def revoke_access_token(redis: aioredis.Redis, *, jti: str, ttl: int) -> None:
    """Logout: refuse this access token from now on (raises RedisError)."""
    await redis.set(revoked_access_key(jti), "1", ex=max(1, ttl))


async def publish_generation(
    redis: aioredis.Redis, *, user_id: int, generation: int, settings: Settings | None = None
) -> None:
    """Tell every API process the user's token generation (raises RedisError).

    The key lives as long as an access token: after that none of an older generation is
    left, and refreshed tokens carry the generation from the database.
    """
    ttl = disabled_flag_ttl(settings or get_settings())
    await redis.set(token_generation_key(user_id), generation, ex=ttl)


async def mark_disabled(
    redis: aioredis.Redis, *, user_id: int, settings: Settings | None = None
) -> None:
    """Refuse the account's live access tokens at once (raises RedisError)."""
    ttl = disabled_flag_ttl(settings or get_settings())
    await redis.set(disabled_user_key(user_id), "1", ex=ttl)


async def publish_account(
    redis: aioredis.Redis | None,
    *,
    user_id: int,
    generation: int,
    is_active: bool | None,
    settings: Settings | None = None,
) -> None:
    """After an account change was saved: its generation and (de)activation reach Redis.

    With `redis` None (no REDIS_URL) live access tokens simply expire. Raises
    AccessNotUpdatedError when Redis could not be written (the change itself is saved).
    """
    if redis is None:
        return
    try:
        await publish_generation(redis, user_id=user_id, generation=generation, settings=settings)
        if is_active:
            await redis.delete(disabled_user_key(user_id))
        elif is_active is False:
            await mark_disabled(redis, user_id=user_id, settings=settings)
    except RedisError as exc:
        raise AccessNotUpdatedError(
            "saved, but live access tokens could not be updated in Redis: repeat the request"
        ) from exc
