"""Scrape-time readings: DB pool and reachability, Redis availability and memory, queue depth.

The API reads Redis with its async client, the worker with a sync one; both record
into the same gauges so dashboards and alerts see one name per figure.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from sqlalchemy import Engine, text

from ainative.observability import metrics

log = logging.getLogger(__name__)


def record_pool_status() -> dict[str, Any]:
    """Read this process's DB pool into the pool gauges; returns the figures."""
    from ainative.db.engine import pool_status

    try:
        status = pool_status()
    except Exception as exc:  # no DATABASE_URL in this process: nothing to report
        log.debug("pool status unavailable: %s", exc)
        return {}
    size = int(status.get("size", 0))
    overflow = max(int(status.get("overflow", 0)), 0)
    metrics.DB_POOL_SIZE.set(size)
    metrics.DB_POOL_MAX_OVERFLOW.set(int(status.get("max_overflow", 0)))
    metrics.DB_POOL_CHECKED_OUT.set(int(status.get("checkedout", 0)))
    metrics.DB_POOL_OVERFLOW.set(overflow)
    return {**status, "overflow": overflow}


def record_escalations(engine: Engine) -> int:
    """Per course: waiting requests to a person, the oldest one's age, its alert threshold.
    Returns the number of courses read (0 when the database is out of reach)."""
    from sqlalchemy.orm import Session

    from ainative.escalation.queue import DEFAULT_ALERT_MINUTES, waiting_by_course

    try:
        with Session(engine) as session:
            rows = waiting_by_course(session)
    except Exception as exc:  # a scrape must not fail on the database
        log.warning("escalation gauges skipped: %s", type(exc).__name__)
        return 0
    if not rows:  # no course yet: the series exist all the same, at zero
        rows = [
            {
                "course_id": "none",
                "waiting": 0,
                "oldest_seconds": 0,
                "alert_seconds": DEFAULT_ALERT_MINUTES * 60,
            }
        ]
    for row in rows:
        course = str(row["course_id"])
        metrics.ESCALATIONS_WAITING.labels(course).set(int(row["waiting"]))
        metrics.ESCALATION_OLDEST_WAIT.labels(course).set(float(row["oldest_seconds"]))
        metrics.ESCALATION_ALERT_AFTER.labels(course).set(float(row["alert_seconds"]))
    return len(rows)


def _ping_database(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def ping_database_async(engine: Engine, timeout: float) -> None:
    """One `SELECT 1` on a pooled connection, given up after `timeout` seconds.

    A probe, not a request's work: on timeout the caller stops waiting (the thread
    finishes and returns its connection on its own), so a hung server cannot hang the
    health check. Raises what the connection raised, or TimeoutError.
    """
    with anyio.fail_after(timeout):
        await anyio.to_thread.run_sync(_ping_database, engine, abandon_on_cancel=True)


def record_redis_info(up: bool, info: dict[str, Any] | None, depths: dict[str, int]) -> None:
    """Record what one Redis check found."""
    metrics.REDIS_UP.set(1 if up else 0)
    if info:
        metrics.REDIS_MEMORY_USED.set(float(info.get("used_memory", 0)))
        metrics.REDIS_MEMORY_MAX.set(float(info.get("maxmemory", 0)))
    for queue, depth in depths.items():
        metrics.QUEUE_DEPTH.labels(queue).set(depth)


async def check_redis_async(client: Any, queues: list[str]) -> dict[str, Any]:
    """Ping Redis, read memory and queue lengths (async client); never raises."""
    try:
        await client.ping()
        info = await client.info("memory")
        depths = {q: int(await client.llen(q)) for q in queues}
    except Exception as exc:
        log.warning("Redis check failed: %s", type(exc).__name__)
        record_redis_info(False, None, {})
        return {"up": False}
    record_redis_info(True, info, depths)
    return {"up": True, "memory": info, "queues": depths}


def check_redis_sync(url: str, queues: list[str]) -> dict[str, Any]:
    """The same check with a short-lived sync client (worker's metrics server)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=2.0)
    try:
        client.ping()
        info = client.info("memory")
        depths = {q: int(client.llen(q)) for q in queues}
    except Exception as exc:
        log.warning("Redis check failed: %s", type(exc).__name__)
        record_redis_info(False, None, {})
        return {"up": False}
    finally:
        client.close()
    record_redis_info(True, info, depths)
    return {"up": True, "memory": info, "queues": depths}
