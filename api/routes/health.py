"""Routes: health — database, cache, broker and workers, never a 500.

healthy: everything answers. degraded: Redis down (cache on in-process memory,
queue unavailable) or no live worker. unhealthy: the database is down.
Worker presence comes from heartbeats in Redis (ainative.runtime.presence), one cheap call.

The public route answers the overall status and ok/degraded/down per part only:
worker names, pool figures and exception text help an attacker more than a probe,
so they are behind `/api/v1/health/details` (admins).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

import ainative
from ainative.db.engine import pool_status
from ainative.observability import probes
from ainative.runtime.presence import alive_workers
from api.deps import require_roles
from api.schemas.errors import error_responses
from api.state import ApiState, StateDep

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)
CHECK_TIMEOUT = 3.0
COMPONENTS = ("database", "cache", "broker", "workers")


async def _database(engine: Engine) -> dict[str, Any]:
    try:
        await probes.ping_database_async(engine, CHECK_TIMEOUT)
        out: dict[str, Any] = {"status": "up"}
    except Exception as exc:  # any failure is an answer here, not a 500
        out = {"status": "down", "reason": f"{type(exc).__name__}: {exc}"[:300]}
    try:
        out["pool"] = pool_status(engine)
    except Exception:
        pass
    return out


async def _redis(state: ApiState) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(cache, broker, workers) from one Redis client."""
    client = state.redis
    heartbeat_age = 3 * state.settings.worker_heartbeat_seconds
    try:
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT)
        workers = await asyncio.wait_for(alive_workers(client, heartbeat_age), CHECK_TIMEOUT)
    except Exception as exc:
        reason = f"Redis unreachable: {type(exc).__name__}: {exc}"[:300]
        cache = {"status": "memory-fallback", "reason": reason, **state.cache.status()}
        cache["backend"] = "memory"
        return (
            cache,
            {"status": "down", "reason": reason},
            {"status": "unknown", "count": 0, "reason": "worker heartbeats live in Redis"},
        )
    cache = {"status": "up", **state.cache.status()}
    if cache.get("backend") == "memory":
        cache["status"] = "memory-fallback"
    workers_out: dict[str, Any] = {"status": "up" if workers else "none", "count": len(workers)}
    if not workers:
        workers_out["reason"] = f"no worker heartbeat in the last {heartbeat_age:.0f} s"
    else:
        workers_out["names"] = sorted(workers)
    broker = {"status": "up", "notifier": "up" if state.notifier.connected else "reconnecting"}
    return cache, broker, workers_out


async def collect_health(state: ApiState) -> dict[str, Any]:
    """Every part's status with its figures and reasons: for admins, never the public."""
    try:
        database, (cache, broker, workers) = await asyncio.gather(
            _database(state.engine), _redis(state)
        )
        parts = {"database": database, "cache": cache, "broker": broker, "workers": workers}
        reasons = [
            f"{name}: {part['reason']}" for name, part in parts.items() if part.get("reason")
        ]
        if database["status"] != "up":
            overall = "unhealthy"
        elif any(part["status"] != "up" for part in (cache, broker, workers)):
            overall = "degraded"
        else:
            overall = "healthy"
        body: dict[str, Any] = {"status": overall, **parts, "reasons": reasons}
    except Exception as exc:  # the health check itself must never 500
        log.exception("health check failed")
        body = {"status": "unhealthy", "reasons": [f"health check failed: {exc}"[:300]]}
    body["version"] = ainative.__version__
    body["timestamp"] = datetime.now(UTC).isoformat()
    return body


def public_summary(details: dict[str, Any]) -> dict[str, Any]:
    """The overall status and ok/degraded/down per part: no names, figures or error text."""
    components: dict[str, str] = {}
    for name in COMPONENTS:
        status = (details.get(name) or {}).get("status")
        if status == "up":
            components[name] = "ok"
        elif status in ("memory-fallback", "none", "unknown"):
            components[name] = "degraded"
        else:
            components[name] = "down"
    return {"status": details["status"], "components": components}


def _status_code(body: dict[str, Any]) -> int:
    return 503 if body["status"] == "unhealthy" else 200


@router.get(
    "/api/v1/health",
    responses={503: {"description": "unhealthy: the database is down (the same body as 200)"}},
)
async def read_health(state: StateDep) -> JSONResponse:
    """Readiness for load balancers and probes; 503 only when the database is down."""
    details = await collect_health(state)
    return JSONResponse(public_summary(details), status_code=_status_code(details))


@router.get(
    "/api/v1/health/details",
    dependencies=[Depends(require_roles("admin"))],
    responses={
        503: {"description": "unhealthy: the database is down (the same body as 200)"},
        **error_responses(401, 403),
    },
)
async def read_health_details(state: StateDep) -> JSONResponse:
    """Readiness with pool figures, worker names and failure reasons (admins only)."""
    details = await collect_health(state)
    return JSONResponse(details, status_code=_status_code(details))
