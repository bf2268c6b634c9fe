"""Routes: health — database, cache, broker and workers, never a 500.

healthy: everything answers. degraded: Redis down (cache on in-process memory,
queue unavailable) or no live worker. unhealthy: the database is down.
Worker presence comes from heartbeats in Redis (ainative.presence), one cheap call.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

import ainative
from ainative.db.engine import get_engine, pool_status
from ainative.presence import alive_workers
from api.tutor_runtime import get_runtime

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)
CHECK_TIMEOUT = 3.0


def _ping_database() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


async def _database() -> dict[str, Any]:
    try:
        with anyio.fail_after(CHECK_TIMEOUT):
            await anyio.to_thread.run_sync(_ping_database, abandon_on_cancel=True)
        out: dict[str, Any] = {"status": "up"}
    except Exception as exc:  # any failure is an answer here, not a 500
        out = {"status": "down", "reason": f"{type(exc).__name__}: {exc}"[:300]}
    try:
        out["pool"] = pool_status()
    except Exception:
        pass
    return out


async def _redis(request: Request) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(cache, broker, workers) from one Redis client."""
    runtime = get_runtime(request)
    client = request.app.state.redis
    heartbeat_age = 3 * runtime.settings.worker_heartbeat_seconds
    try:
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT)
        workers = await asyncio.wait_for(alive_workers(client, heartbeat_age), CHECK_TIMEOUT)
    except Exception as exc:
        reason = f"Redis unreachable: {type(exc).__name__}: {exc}"[:300]
        cache = {"status": "memory-fallback", "reason": reason, **runtime.cache.status()}
        cache["backend"] = "memory"
        return (
            cache,
            {"status": "down", "reason": reason},
            {"status": "unknown", "count": 0, "reason": "worker heartbeats live in Redis"},
        )
    cache = {"status": "up", **runtime.cache.status()}
    if cache.get("backend") == "memory":
        cache["status"] = "memory-fallback"
    workers_out: dict[str, Any] = {"status": "up" if workers else "none", "count": len(workers)}
    if not workers:
        workers_out["reason"] = f"no worker heartbeat in the last {heartbeat_age:.0f} s"
    else:
        workers_out["names"] = sorted(workers)
    broker = {"status": "up", "notifier": "up" if runtime.notifier.connected else "reconnecting"}
    return cache, broker, workers_out


@router.get("/api/v1/health")
async def read_health(request: Request) -> JSONResponse:
    """Readiness of the platform's parts; 503 only when the database is down."""
    try:
        database, (cache, broker, workers) = await asyncio.gather(_database(), _redis(request))
        reasons = [
            f"{name}: {part['reason']}"
            for name, part in (("database", database), ("cache", cache),
                               ("broker", broker), ("workers", workers))
            if part.get("reason")
        ]  # fmt: skip
        if database["status"] != "up":
            overall = "unhealthy"
        elif cache["status"] != "up" or broker["status"] != "up" or workers["status"] != "up":
            overall = "degraded"
        else:
            overall = "healthy"
        body: dict[str, Any] = {
            "status": overall, "database": database, "cache": cache, "broker": broker,
            "workers": workers, "reasons": reasons,
        }  # fmt: skip
    except Exception as exc:  # the health check itself must never 500
        log.exception("health check failed")
        body = {"status": "unhealthy", "reasons": [f"health check failed: {exc}"[:300]]}
    body["version"] = ainative.__version__
    body["timestamp"] = datetime.now(UTC).isoformat()
    return JSONResponse(body, status_code=503 if body["status"] == "unhealthy" else 200)
