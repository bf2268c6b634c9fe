"""The hourly quota in Redis: counts, refuses over the limit, refunds, reports the refill."""

from __future__ import annotations

import redis.asyncio as aioredis

from ainative.config import Settings
from ainative.limits import quota
from ainative.runtime.devservices import free_port


def test_limit_comes_from_the_course_policy_else_settings() -> None:
    settings = Settings(default_quota_per_hour=30)
    assert quota.limit_for({"quota_per_hour": 2}, settings) == 2
    assert quota.limit_for({"quota_per_hour": 0}, settings) == 0
    assert quota.limit_for({}, settings) == 30
    assert quota.limit_for(None, settings) == 30
    assert quota.limit_for({"quota_per_hour": "lots"}, settings) == 30
    assert quota.limit_for({"quota_per_hour": True}, settings) == 30


async def test_redis_down_fails_open() -> None:
    client = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    status = await quota.consume(client, 1, None, limit=1)
    assert status.allowed and not status.enforced
    await client.aclose()
