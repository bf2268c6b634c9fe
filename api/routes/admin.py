"""Routes: live operational statistics for admins (cache, Redis, DB pool, queue)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ainative.observability import multiproc, probes
from api.deps import require_roles
from api.schemas.errors import error_responses
from api.state import StateDep

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    dependencies=[Depends(require_roles("admin"))],
    responses=error_responses(401, 403, 503),
)

REDIS_MEMORY_FIELDS = ("used_memory", "used_memory_human", "maxmemory", "maxmemory_policy")


def cache_counts() -> dict[str, Any]:
    """Cache lookups counted by the processes behind this API port, from the metrics files."""
    counts = {"hit": 0.0, "miss": 0.0}
    registry = multiproc.registry()
    for family in registry.collect():
        if family.name == "ainative_cache_requests":
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels.get("result") in counts:
                    counts[sample.labels["result"]] += sample.value
    total = counts["hit"] + counts["miss"]
    return {
        "hits": int(counts["hit"]),
        "misses": int(counts["miss"]),
        "hit_rate": round(counts["hit"] / total, 4) if total else None,
        "scope": "this API instance since start",
    }


@router.get("/stats")
async def read_stats(state: StateDep) -> dict[str, Any]:
    """Cache hit rate and backend, Redis memory, DB pool and queue depth, read now."""
    settings = state.settings
    redis_check = await probes.check_redis_async(state.redis, [settings.tutor_queue])
    redis_info: dict[str, Any] = {"up": redis_check["up"]}
    if redis_check["up"]:
        memory = redis_check["memory"]
        redis_info.update({k: memory.get(k) for k in REDIS_MEMORY_FIELDS})
        maxmemory = float(memory.get("maxmemory") or 0)
        used = float(memory.get("used_memory") or 0)
        redis_info["memory_ratio"] = round(used / maxmemory, 4) if maxmemory else None
    cache = {**cache_counts(), **state.cache.status()}  # this process's backend: redis|memory
    pool = probes.record_pool_status()  # the pool's own counters: no I/O
    return {
        "cache": cache,
        "redis": redis_info,
        "db_pool": pool,
        "queue": {
            "name": settings.tutor_queue,
            "depth": redis_check.get("queues", {}).get(settings.tutor_queue),
        },
    }
