"""The API's async Redis client: one per process, created in the app's lifespan."""

from __future__ import annotations

import redis.asyncio as aioredis

from ainative.config import Settings


def make_async_redis(settings: Settings) -> aioredis.Redis:
    """A pooled asyncio client with short timeouts so a dead Redis degrades instead of hanging."""
    return aioredis.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_connect_timeout=1.0,
        socket_timeout=2.0,
        health_check_interval=30,
        max_connections=200,
    )
