"""Login attempt limits for the hub's password form: a Redis fixed window per IP and per account.

The API counts logins with LOGIN_RATE_LIMIT per RATE_LIMIT_WINDOW_SECONDS; the hub applies the
same numbers so guessing passwords through the hub is no cheaper than through the API.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache

import redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def hit(redis_url: str, keys: list[str], limit: int, window: int) -> int:
    """Count one attempt on every key; seconds to wait if any key is over `limit`, else 0.

    Fails open (returns 0) when Redis is unreachable: a Redis outage must not lock every
    student out of the hub, and bcrypt still makes each guess slow.
    """
    if not redis_url or not keys:
        return 0
    bucket = int(time.time()) // window
    try:
        pipe = _client(redis_url).pipeline()
        for key in keys:
            name = f"ratelimit:hub-login:{key}:{bucket}"
            pipe.incr(name)
            pipe.expire(name, window + 1)
        counts = pipe.execute()[::2]
    except RedisError as exc:
        log.warning("login rate limit skipped: Redis unavailable (%s)", exc)
        return 0
    if max(counts) > limit:
        return window - int(time.time()) % window
    return 0
