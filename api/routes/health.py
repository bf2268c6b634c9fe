"""Routes: health (minimal until the health checks land)."""

from fastapi import APIRouter

router = APIRouter()


@router.get("/api/v1/health")
async def read_health() -> dict[str, str]:
    """Liveness placeholder."""
    return {"status": "healthy"}
