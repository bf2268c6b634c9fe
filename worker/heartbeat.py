"""This worker's presence in Redis (see ainative.runtime.presence), refreshed by its consumer.

The beat rides on Celery's own worker heartbeat (the `heartbeat_sent` signal, sent
every 2 s from the consumer's event loop), not on a thread of its own: a worker whose
consumer is stuck (deadlocked, SIGSTOPped, starved) stops refreshing its presence,
so health and the liveness probe (`ainative worker-alive`) see it as gone although
its process is still there. Redis is written at most every WORKER_HEARTBEAT_SECONDS,
and a failed write is not retried sooner, so a Redis outage never slows the consumer
by more than one short timeout per period.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.signals import heartbeat_sent
from redis.exceptions import RedisError

from ainative.config import get_settings
from ainative.runtime.presence import heartbeat, leave
from worker.runtime import redis_client

log = logging.getLogger(__name__)
_last: dict[str, float] = {}


def beat(hostname: str, *, force: bool = False) -> None:
    """Record `hostname` as alive, unless it was recorded (or tried) within the period."""
    every = get_settings().worker_heartbeat_seconds
    now = time.monotonic()
    if not force and now - _last.get(hostname, float("-inf")) < every:
        return
    _last[hostname] = now
    try:
        heartbeat(redis_client(), hostname, every)
    except RedisError as exc:
        log.warning("worker heartbeat failed: %s", exc)


def start(hostname: str) -> None:
    """The first beat, as soon as the worker is ready (the consumer's follow)."""
    beat(hostname, force=True)


def stop(hostname: str) -> None:
    """Leave the presence set at a clean shutdown."""
    _last.pop(hostname, None)
    try:
        leave(redis_client(), hostname)
    except RedisError:
        pass


def _on_heartbeat(sender: Any = None, **_: Any) -> None:
    eventer = getattr(sender, "eventer", None)
    hostname = getattr(eventer, "hostname", None)
    if hostname:
        beat(str(hostname))


# Connected at import (worker.signals imports this module before the consumer starts):
# Celery only sends the signal if it had receivers when its heart was built.
heartbeat_sent.connect(_on_heartbeat)
