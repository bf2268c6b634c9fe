"""Per-process clients for the worker: one Redis client, one response cache, one stream writer.

Keyed by pid so a forked child never reuses its parent's sockets.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TypeVar

import redis
from redis.exceptions import RedisError

from ainative.config import get_settings
from ainative.tutor.cache import ResponseCache
from ainative.tutor.streaming.notify import publish_done as publish
from ainative.tutor.streaming.writer import StreamPublisher, StreamWriter

log = logging.getLogger(__name__)
T = TypeVar("T")
_lock = threading.Lock()
_clients: dict[int, redis.Redis] = {}
_caches: dict[int, ResponseCache] = {}
_writers: dict[int, StreamWriter] = {}


def _per_process(store: dict[int, T], build: Callable[[], T]) -> T:
    """The object `build` made in this process, created once (thread-safe)."""
    pid = os.getpid()
    value = store.get(pid)
    if value is None:
        with _lock:
            value = store.get(pid)
            if value is None:
                value = store[pid] = build()
    return value


def redis_client() -> redis.Redis:
    return _per_process(
        _clients,
        lambda: redis.Redis.from_url(
            get_settings().redis_url, socket_connect_timeout=1.0, socket_timeout=2.0
        ),
    )


def response_cache() -> ResponseCache:
    return _per_process(_caches, lambda: ResponseCache(get_settings()))


def publish_done(interaction_id: str) -> None:
    """Wake the API's long-poll waiters; if Redis is down they fall back to re-reading the DB."""
    try:
        publish(redis_client(), interaction_id)
    except RedisError as exc:
        log.warning("could not publish completion of %s: %s", interaction_id, exc)


def answer_stream(interaction_id: str) -> StreamPublisher:
    """The writer of this interaction's live text (ainative.tutor.streaming.writer)."""
    client = redis_client()  # outside the builder: _per_process's lock is not reentrant
    writer = _per_process(_writers, lambda: StreamWriter(client, get_settings().stream_ttl_seconds))
    return StreamPublisher(writer, interaction_id)
