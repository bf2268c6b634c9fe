"""The response cache against a real Redis: entries carry the TTL and are shared across caches."""

from __future__ import annotations

import uuid

import redis
import redis.asyncio as aioredis

from ainative.config import Settings
from ainative.tutor.cache import AsyncResponseCache, ResponseCache, cache_key
from tests.unit.test_cache import ANSWER, BASE


def test_redis_keys_carry_the_ttl(services) -> None:
    settings = Settings(redis_url=services.redis_url, llm_cache_ttl=123)
    cache = ResponseCache(settings)
    key = cache_key(**{**BASE, "prompt": uuid.uuid4().hex})
    cache.set(key, ANSWER)
    raw = redis.Redis.from_url(services.redis_url)
    assert 0 < raw.ttl(key) <= 123
    assert ResponseCache(settings).get(key) == ANSWER  # shared through Redis, not memory
    assert cache.status()["backend"] == "redis" and len(cache.memory) == 0


async def test_async_and_sync_caches_share_entries(services) -> None:
    settings = Settings(redis_url=services.redis_url)
    client = aioredis.Redis.from_url(services.redis_url, decode_responses=True)
    key = cache_key(**{**BASE, "prompt": uuid.uuid4().hex})
    ResponseCache(settings).set(key, ANSWER)
    assert await AsyncResponseCache(client, settings).get(key) == ANSWER
    await client.aclose()
