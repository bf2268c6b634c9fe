"""Fixed-window counters in Redis: the registration and login limits, and the tutor quota's window.

A window is `seconds` long and aligned to the epoch; a counter's key carries the
window's index and expires just after it, so no cleanup is needed. `FixedWindow` is
the one implementation; ainative.quota counts its hourly budget with it too.

Async only: the API and the JupyterHub authenticator both run on an asyncio loop
and share the key scheme, so a login attempt counts the same wherever it arrives.

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

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ainative.config import Settings, get_settings

log = logging.getLogger(__name__)
PREFIX = "ratelimit"


@dataclass(frozen=True)
class FixedWindow:
    """Counters `prefix:identity:index` over windows of `seconds`; a key lives `grace` longer."""

    prefix: str
    seconds: int
    grace: int = 1

    def index(self, now: float) -> int:
        return int(now // self.seconds)

    def key(self, identity: str, now: float) -> str:
        return f"{self.prefix}:{identity}:{self.index(now)}"

    def ends_at(self, now: float) -> float:
        """When the window holding `now` ends (its counter starts again from zero)."""
        return float((self.index(now) + 1) * self.seconds)

    async def add(self, client: aioredis.Redis, identity: str, now: float, amount: int = 1) -> int:
        """Add `amount` (negative to give back) and return the new count; raises RedisError."""
        key = self.key(identity, now)
        async with client.pipeline(transaction=True) as pipe:
            pipe.incrby(key, amount)
            pipe.expire(key, self.seconds + self.grace)
            count, _ = await pipe.execute()
        return int(count)

    async def read(self, client: aioredis.Redis, identity: str, now: float) -> int:
        """The current count without changing it; raises RedisError."""
        return int(await client.get(self.key(identity, now)) or 0)


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


def _window(scope: str, identity: str, window: int) -> tuple[FixedWindow, str]:
    """The scope's counters and the identity's part of the key (the window length included,
    so a changed RATE_LIMIT_WINDOW_SECONDS never reads another length's counts)."""
    return FixedWindow(f"{PREFIX}:{scope}", window), f"{identity.lower()}:{window}"


def _result(
    scope: str, count: int, limit: int, counter: FixedWindow, now: float
) -> RateLimitResult:
    retry_after = max(1, math.ceil(counter.ends_at(now) - now))
    return RateLimitResult(count <= limit, count, limit, retry_after, scope)


async def hit(
    client: aioredis.Redis, scope: str, identity: str, *, limit: int, window: int
) -> RateLimitResult:
    """Count one request and say whether it is within `limit` for this window."""
    now = time.time()
    counter, who = _window(scope, identity, window)
    try:
        count = await counter.add(client, who, now)
    except RedisError:
        log.warning("rate limit %s skipped: Redis unavailable", scope)
        return ALLOW
    return _result(scope, count, limit, counter, now)


async def peek(
    client: aioredis.Redis, scope: str, identity: str, *, limit: int, window: int
) -> RateLimitResult:
    """Whether one more request would still be allowed, without counting it."""
    now = time.time()
    counter, who = _window(scope, identity, window)
    try:
        count = await counter.read(client, who, now)
    except RedisError:
        log.warning("rate limit %s skipped: Redis unavailable", scope)
        return ALLOW
    return _result(scope, count + 1, limit, counter, now)


async def check_register_allowed(
    client: aioredis.Redis, *, ip: str, settings: Settings | None = None
) -> RateLimitResult:
    """Count a registration against the caller's IP."""
    s = settings or get_settings()
    return await hit(
        client, "registration", ip, limit=s.register_rate_limit, window=s.rate_limit_window_seconds
    )


async def check_login_allowed(
    client: aioredis.Redis, *, ip: str, account: str, settings: Settings | None = None
) -> RateLimitResult:
    """Count a login attempt against the IP; refuse if the account is already over its limit."""
    s = settings or get_settings()
    limit, window = s.login_rate_limit, s.rate_limit_window_seconds
    by_ip = await hit(client, "login", f"ip:{ip}", limit=limit, window=window)
    if not by_ip.allowed:
        return by_ip
    return await peek(client, "login", f"account:{account}", limit=limit, window=window)


async def record_login_failure(
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
