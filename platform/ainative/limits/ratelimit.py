"""Fixed-window counters in Redis: the registration and login limits, and the tutor quota's window.

A window is `seconds` long and aligned to the epoch; a counter's key carries the
window's index and expires just after it, so no cleanup is needed. `FixedWindow` is
the one implementation; ainative.limits.quota counts its hourly budget with it too.

Async only: the API and the JupyterHub authenticator both run on an asyncio loop
and share the key scheme, so a login attempt counts the same wherever it arrives.

Login semantics (`begin_login`, `finish_login`): every attempt is counted before its
password is checked, against the caller's address, the account-and-address pair and
the account; a success gives its account counts back. change-password
(`begin_password_change`) counts the same windows per address and per account, in a
scope of its own. Guessing from one address stops
at the limit; guessing from many only slows the account down, never locks its owner out.
The caller's address is `client_address`: X-Forwarded-For only from TRUSTED_PROXIES.
When Redis is unavailable the limiter lets the request through (fail open) and logs.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ainative.config import Settings, get_settings
from ainative.limits.errors import RateLimitedError

log = logging.getLogger(__name__)
PREFIX = "ratelimit"
CONCURRENT_SCOPES = {"waiting-requests"}
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
        if self.scope in CONCURRENT_SCOPES:
            return f"too many {what} open at once (at most {self.limit}): close one and retry"
        return f"too many {what} attempts: try again in {self.retry_after} seconds"


ALLOW = RateLimitResult(allowed=True, count=0, limit=0, retry_after=0)


async def enforce(
    client: aioredis.Redis, scope: str, identity: str, *, limit: int, window: int
) -> None:
    """`hit`, raising RateLimitedError past the limit."""
    verdict = await hit(client, scope, identity, limit=limit, window=window)
    if not verdict.allowed:
        raise RateLimitedError(verdict)


@asynccontextmanager
async def concurrency_slot(
    client: aioredis.Redis, scope: str, identity: str, *, limit: int, ttl: int
) -> AsyncIterator[None]:
    """Hold one of `limit` slots of `identity` for the block (long-polls, streams).

    Raises RateLimitedError when all are taken. The counter expires `ttl` seconds after
    the last acquisition, so slots of a killed process come back by themselves.
    """
    key = f"{PREFIX}:{scope}:{identity}"
    try:
        async with client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, ttl)
            count, _ = await pipe.execute()
    except RedisError:
        log.warning("concurrency limit %s skipped: Redis unavailable", scope)
        yield
        return
    if int(count) > limit:
        await _release(client, key)
        raise RateLimitedError(RateLimitResult(False, int(count) - 1, limit, 1, scope))
    try:
        yield
    finally:
        await _release(client, key)


def waiting_slot(
    client: aioredis.Redis, user_id: int, settings: Settings
) -> AbstractAsyncContextManager[None]:
    """One of the user's LONG_POLLS_PER_USER waiting requests (long-poll, answer stream)."""
    return concurrency_slot(
        client,
        "waiting-requests",
        f"user:{user_id}",
        limit=settings.long_polls_per_user,
        ttl=int(max(settings.long_poll_max_seconds, settings.stream_max_seconds)) + 60,
    )


async def _release(client: aioredis.Redis, key: str) -> None:
    try:
        await client.decr(key)
    except RedisError:
        log.warning("slot %s not released: Redis unavailable (it expires)", key)


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


def _login_keys(ip: str, account: str) -> tuple[str, str, str]:
    return f"ip:{ip}", f"pair:{account}:{ip}", f"account:{account}"


async def begin_login(
    client: aioredis.Redis, *, ip: str, account: str, settings: Settings | None = None
) -> RateLimitResult:
    """Count a login attempt BEFORE its password is checked, and say whether to check it.

    Counting first (one INCR each) means concurrent guesses cannot all pass a limit
    they were all under when they started: only `LOGIN_RATE_LIMIT` of them reach bcrypt.
    The limits are per address and per account-and-address, so an attacker elsewhere
    cannot lock the owner out; past `LOGIN_ACCOUNT_LIMIT` attempts on the account from
    all addresses together, each attempt waits `LOGIN_SLOWDOWN_SECONDS` first.
    `account` must be the same for every login name of one account (the user id).
    """
    s = settings or get_settings()
    limit, window = s.login_rate_limit, s.rate_limit_window_seconds
    by_ip, by_pair, by_account = _login_keys(ip, account)
    for identity in (by_ip, by_pair):
        verdict = await hit(client, "login", identity, limit=limit, window=window)
        if not verdict.allowed:
            return verdict
    total = await hit(client, "login", by_account, limit=s.login_account_limit, window=window)
    if not total.allowed and s.login_slowdown_seconds:
        log.warning("login slowed down: account %s is under attack", account)
        await asyncio.sleep(s.login_slowdown_seconds)
    return RateLimitResult(True, total.count, limit, 0, "login")


async def finish_login(
    client: aioredis.Redis,
    *,
    ip: str,
    account: str,
    succeeded: bool,
    settings: Settings | None = None,
) -> None:
    """A successful login gives back its account counts: the owner's own logins never add up."""
    if not succeeded:
        return
    s = settings or get_settings()
    now = time.time()
    window = s.rate_limit_window_seconds
    _, by_pair, by_account = _login_keys(ip, account)
    try:
        for identity in (by_pair, by_account):
            counter, who = _window("login", identity, window)
            await counter.add(client, who, now, -1)
    except RedisError:
        log.warning("login counts not given back: Redis unavailable")


def _password_keys(ip: str, user_id: int) -> tuple[str, str]:
    return f"ip:{ip}", f"account:user:{user_id}"


async def begin_password_change(
    client: aioredis.Redis, *, ip: str, user_id: int, settings: Settings | None = None
) -> RateLimitResult:
    """Count a change-password attempt BEFORE its current password is checked.

    The login windows (LOGIN_RATE_LIMIT per RATE_LIMIT_WINDOW_SECONDS), per address and
    per account. Unlike login the account limit is hard: the caller holds the account's
    access token, so a stolen token guesses at most LOGIN_RATE_LIMIT passwords a window
    from all addresses together, and never more than that many reach bcrypt at once.
    """
    s = settings or get_settings()
    for identity in _password_keys(ip, user_id):
        verdict = await hit(
            client,
            "change-password",
            identity,
            limit=s.login_rate_limit,
            window=s.rate_limit_window_seconds,
        )
        if not verdict.allowed:
            return verdict
    return RateLimitResult(True, 0, s.login_rate_limit, 0, "change-password")


async def finish_password_change(
    client: aioredis.Redis, *, ip: str, user_id: int, settings: Settings | None = None
) -> None:
    """A changed password gives its account count back (the owner's own changes)."""
    s = settings or get_settings()
    counter, who = _window(
        "change-password", _password_keys(ip, user_id)[1], s.rate_limit_window_seconds
    )
    try:
        await counter.add(client, who, time.time(), -1)
    except RedisError:
        log.warning("change-password count not given back: Redis unavailable")


@lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _is_trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[str]) -> str:
    """The client's address for rate limits: the peer, unless the peer is a trusted proxy.

    Behind trusted proxies, `X-Forwarded-For` is read from the right (the hops our own
    proxies appended) and the first address that is not a trusted proxy is the client;
    whatever a client wrote further left is never believed. `X-Real-IP` is not read.
    """
    peer = (peer or "").strip() or "unknown"
    networks = _networks(tuple(trusted))
    if not forwarded_for or not _is_trusted(peer, networks):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop if _valid_ip(hop) else peer
    return hops[0] if hops else peer


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
