"""Worker presence in Redis: a cheap answer to "is any worker alive?" for health checks.

Workers add their hostname to a sorted set scored by the time of their last
heartbeat; readers count members seen within `max_age`. The set itself carries a
TTL, so it disappears when every worker is gone.
"""

from __future__ import annotations

import time

import redis
import redis.asyncio as aioredis

WORKERS_KEY = "ainative:workers:heartbeat"


def heartbeat(client: redis.Redis, hostname: str, ttl: float) -> None:
    """Record that `hostname` is alive now (raises RedisError when Redis is down)."""
    now = time.time()
    pipe = client.pipeline(transaction=True)
    pipe.zadd(WORKERS_KEY, {hostname: now})
    pipe.zremrangebyscore(WORKERS_KEY, "-inf", now - 10 * ttl)
    pipe.expire(WORKERS_KEY, int(ttl * 3) + 1)
    pipe.execute()


def leave(client: redis.Redis, hostname: str) -> None:
    client.zrem(WORKERS_KEY, hostname)


async def alive_workers(client: aioredis.Redis, max_age: float) -> list[str]:
    """Hostnames whose last heartbeat is younger than `max_age` seconds."""
    members = await client.zrangebyscore(WORKERS_KEY, time.time() - max_age, "+inf")
    return [m.decode() if isinstance(m, bytes) else str(m) for m in members]


def seconds_since_beat(client: redis.Redis, hostname: str) -> float | None:
    """Seconds since `hostname` last refreshed its presence; None if it never did (or left)."""
    score = client.zscore(WORKERS_KEY, hostname)
    return None if score is None else max(0.0, time.time() - float(score))
