"""A daemon thread that keeps this worker's presence fresh in Redis (see ainative.presence)."""

from __future__ import annotations

import logging
import threading

from redis.exceptions import RedisError

from ainative.config import get_settings
from ainative.presence import heartbeat, leave
from worker.runtime import redis_client

log = logging.getLogger(__name__)
_stop = threading.Event()
_thread: threading.Thread | None = None


def _run(hostname: str, every: float) -> None:
    while not _stop.is_set():
        try:
            heartbeat(redis_client(), hostname, every)
        except RedisError as exc:
            log.warning("worker heartbeat failed: %s", exc)
        _stop.wait(every)


def start(hostname: str) -> None:
    """Start beating for `hostname` (idempotent)."""
    global _thread
    if _thread is not None and _thread.is_alive():
        return
    _stop.clear()
    every = get_settings().worker_heartbeat_seconds
    _thread = threading.Thread(target=_run, args=(hostname, every), daemon=True, name="heartbeat")
    _thread.start()


def stop(hostname: str) -> None:
    _stop.set()
    try:
        leave(redis_client(), hostname)
    except RedisError:
        pass
