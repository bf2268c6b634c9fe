"""Fixed-window rate limits in Redis, for registration and login.

A window is `window` seconds aligned to the epoch; the counter key carries the
window's index and expires with it, so no cleanup is needed. The API uses the async
functions, the hub (a sync caller) the sync ones; both share the key scheme, so a
login attempt counts the same wherever it arrives.

Login semantics (`check_login_allowed`): every attempt counts against the caller's
IP; only failed attempts count against the account, so a student's own successful
logins never lock them out but guessing one account's password from many IPs stops.
When Redis is unavailable the limiter lets the request through (fail open) and logs.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ainative.config import Settings, get_settings

log = logging.getLogger(__name__)
PREFIX = "ratelimit"


@dataclass(frozen=True)
class RateLimitResult:
    """The outcome of one check; `retry_after` is whole seconds until the window ends."""

    allowed: bool
    count: int
    limit: int
    retry_after: int
    scope: str = ""

    def detail(self) -> str:
        """A message a person can act on."""
        what = self.scope.replace("-", " ") or "requests"
        return f"too many {what} attempts: try again in {self.retry_after} seconds"


ALLOW = RateLimitResult(allowed=True, count=0, limit=0, retry_after=0)


def window_key(scope: str, identity: str, window: int, now: float | None = None) -> str:
    """The counter key of the current window for (scope, identity)."""
    index = int((time.time() if now is None else now) // window)
    return f"{PREFIX}:{scope}:{identity.lower()}:{window}:{index}"


def _result(scope: str, count: int, limit: int, window: int, now: float) -> RateLimitResult:
    retry_after = max(1, math.ceil(window - (now % window)))
    return RateLimitResult(count <= limit, count, limit, retry_after, scope)


# --- async (API) -------------------------------------------------------------------------------


async def hit(
    client: aioredis.Redis, scope: str, identity: str, *, limit: int, window: int
) -> RateLimitResult:
    """Count one request and say whether it is within `limit` for this window."""
    now = time.time()
    key = window_key(scope, identity, window, now)
    try:
        async with client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window + 1)
            count, _ = await pipe.execute()
    except RedisError:
        log.warning("rate limit %s skipped: Redis unavailable", scope)
        return ALLOW
    return _result(scope, int(count), limit, window, now)


async def peek(
    client: aioredis.Redis, scope: str, identity: str, *, limit: int, window: int
) -> RateLimitResult:
    """Whether one more request would still be allowed, without counting it."""
    now = time.time()
    try:
        count = int(await client.get(window_key(scope, identity, window, now)) or 0)
    except RedisError:
        log.warning("rate limit %s skipped: Redis unavailable", scope)
        return ALLOW
    return _result(scope, count + 1, limit, window, now)


async def acheck_register_allowed(
    client: aioredis.Redis, *, ip: str, settings: Settings | None = None
) -> RateLimitResult:
    """Count a registration against the caller's IP."""
    s = settings or get_settings()
    return await hit(
        client,
        "registration",
        ip,
        limit=s.register_rate_limit,
        window=s.rate_limit_window_seconds,
    )


async def acheck_login_allowed(
    client: aioredis.Redis, *, ip: str, account: str, settings: Settings | None = None
) -> RateLimitResult:
    """Count a login attempt against the IP; refuse if the account is already over its limit."""
    s = settings or get_settings()
    window = s.rate_limit_window_seconds
    by_ip = await hit(client, "login", f"ip:{ip}", limit=s.login_rate_limit, window=window)
    if not by_ip.allowed:
        return by_ip
    return await peek(
        client, "login", f"account:{account}", limit=s.login_rate_limit, window=window
    )


async def arecord_login_failure(
    client: aioredis.Redis, *, account: str, settings: Settings | None = None
) -> RateLimitResult:
    """Count a failed login against the account."""
    s = settings or get_settings()
    return await hit(
        client,
        "login",
        f"account:{account}",
        limit=s.login_rate_limit,
        window=s.rate_limit_window_seconds,
    )


# --- sync (JupyterHub authenticator, CLI) -------------------------------------------------------


def hit_sync(
    client: redis.Redis, scope: str, identity: str, *, limit: int, window: int
) -> RateLimitResult:
    """Sync twin of `hit`."""
    now = time.time()
    key = window_key(scope, identity, window, now)
    try:
        with client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window + 1)
            count, _ = pipe.execute()
    except RedisError:
        log.warning("rate limit %s skipped: Redis unavailable", scope)
        return ALLOW
    return _result(scope, int(count), limit, window, now)


def peek_sync(
    client: redis.Redis, scope: str, identity: str, *, limit: int, window: int
) -> RateLimitResult:
    """Sync twin of `peek`."""
    now = time.time()
    try:
        count = int(client.get(window_key(scope, identity, window, now)) or 0)
    except RedisError:
        log.warning("rate limit %s skipped: Redis unavailable", scope)
        return ALLOW
    return _result(scope, count + 1, limit, window, now)


def check_login_allowed(
    client: redis.Redis, *, ip: str, account: str, settings: Settings | None = None
) -> RateLimitResult:
    """Sync twin of `acheck_login_allowed` (the hub's password form)."""
    s = settings or get_settings()
    window = s.rate_limit_window_seconds
    by_ip = hit_sync(client, "login", f"ip:{ip}", limit=s.login_rate_limit, window=window)
    if not by_ip.allowed:
        return by_ip
    return peek_sync(client, "login", f"account:{account}", limit=s.login_rate_limit, window=window)


def record_login_failure(
    client: redis.Redis, *, account: str, settings: Settings | None = None
) -> RateLimitResult:
    """Sync twin of `arecord_login_failure`."""
    s = settings or get_settings()
    return hit_sync(
        client,
        "login",
        f"account:{account}",
        limit=s.login_rate_limit,
        window=s.rate_limit_window_seconds,
    )
