"""The hourly quota against a real Redis: counts, refuses over the limit, refunds, expires."""

from __future__ import annotations

import random
import time

import pytest
import redis.asyncio as aioredis

from ainative import quota

pytestmark = pytest.mark.integration


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
        key = quota.quota_key(user, 7, int(time.time() // 3600))
        assert 0 < await client.ttl(key) <= 3660
    finally:
        await client.aclose()
