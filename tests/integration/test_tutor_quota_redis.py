"""The hourly quota against a real Redis: counts, refuses over the limit, refunds, expires."""

from __future__ import annotations

import random
import time

import redis.asyncio as aioredis

from ainative.limits import quota


async def test_consume_until_refused(services) -> None:
    client = aioredis.Redis.from_url(services.redis_url, decode_responses=True)
    user = random.randint(10**6, 10**9)
    try:
        first = await quota.consume(client, user, 7, limit=2)
        second = await quota.consume(client, user, 7, limit=2)
        third = await quota.consume(client, user, 7, limit=2)
        assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
        assert second.remaining == 0 and third.remaining == 0
        assert "2 questions per hour" in third.detail() and "UTC" in third.detail()
        assert 0 < third.retry_after <= 3600
        assert (await quota.peek(client, user, 7, 2)).used == 2
        # another course has its own budget
        assert (await quota.consume(client, user, 8, limit=2)).allowed
        await quota.refund(client, user, 7)
        assert (await quota.consume(client, user, 7, limit=2)).allowed
        assert 0 < await client.ttl(quota.quota_key(user, 7)) <= 3660
    finally:
        await client.aclose()


async def test_refill_time_is_the_end_of_the_hour(services) -> None:
    client = aioredis.Redis.from_url(services.redis_url, decode_responses=True)
    before = time.time()
    try:
        status = await quota.peek(client, random.randint(10**6, 10**9), None, 3)
    finally:
        await client.aclose()
    hour_ends = {(int(t // 3600) + 1) * 3600 for t in (before, time.time())}
    assert (status.allowed, status.used, status.remaining) == (True, 0, 3)
    assert status.resets_at.timestamp() in hour_ends
    assert status.public()["window_seconds"] == 3600


async def test_a_refund_keeps_the_counter_expiring(services) -> None:
    """A refund may be the first write of an hour: its key must still expire."""
    client = aioredis.Redis.from_url(services.redis_url, decode_responses=True)
    user = random.randint(10**6, 10**9)
    try:
        await quota.refund(client, user, 3)
        assert 0 < await client.ttl(quota.quota_key(user, 3)) <= 3660
    finally:
        await client.aclose()
