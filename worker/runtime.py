"""Per-process clients for the worker: one Redis client and one response cache.

Keyed by pid so a forked child never reuses its parent's sockets.
"""

from __future__ import annotations

import logging
import os
import threading

import redis
from redis.exceptions import RedisError

from ainative.cache import ResponseCache
from ainative.config import get_settings
from ainative.queue import DONE_CHANNEL

log = logging.getLogger(__name__)
_lock = threading.Lock()
_clients: dict[int, redis.Redis] = {}
_caches: dict[int, ResponseCache] = {}


def redis_client() -> redis.Redis:
    pid = os.getpid()
    client = _clients.get(pid)
    if client is None:
        with _lock:
            client = _clients.get(pid)
            if client is None:
                client = _clients[pid] = redis.Redis.from_url(
                    get_settings().redis_url, socket_connect_timeout=1.0, socket_timeout=2.0
                )
    return client


def response_cache() -> ResponseCache:
    pid = os.getpid()
    cache = _caches.get(pid)
    if cache is None:
        with _lock:
            cache = _caches.get(pid)
            if cache is None:
                cache = _caches[pid] = ResponseCache(get_settings())
    return cache


def publish_done(interaction_id: str) -> None:
    """Wake the API's long-poll waiters; if Redis is down they fall back to re-reading the DB."""
    try:
        redis_client().publish(DONE_CHANNEL, interaction_id)
    except RedisError as exc:
        log.warning("could not publish completion of %s: %s", interaction_id, exc)
