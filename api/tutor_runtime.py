"""Per-process tutor machinery of the API: the Celery app, the done-notifier, the cache.

Created once per API process when the app starts: the tutor router carries `lifespan`,
which FastAPI nests inside the app's own (so app.state.redis exists already). Lazily on
first use otherwise, so a request never creates clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import redis.asyncio as aioredis
from celery import Celery
from fastapi import FastAPI, Request

from ainative.config import Settings
from ainative.queue import TASK_ANSWER, make_celery
from ainative.tutor.cache import AsyncResponseCache
from api.notify import DoneNotifier
from api.redis_client import make_async_redis


class TutorRuntime:
    def __init__(self, settings: Settings, redis: aioredis.Redis) -> None:
        self.settings = settings
        self.redis = redis
        self._own_cache_client: aioredis.Redis | None = None
        cache_client = redis
        if settings.cache_redis_url and settings.cache_redis_url != settings.redis_url:
            cache_client = self._own_cache_client = make_async_redis(
                settings.model_copy(update={"redis_url": settings.cache_redis_url})
            )
        self.cache = AsyncResponseCache(cache_client, settings)
        self.notifier = DoneNotifier(settings.redis_url)
        self._celery: Celery | None = None

    @property
    def celery(self) -> Celery:
        if self._celery is None:
            self._celery = make_celery(self.settings)
        return self._celery

    async def enqueue(self, interaction_id: str) -> None:
        """Send tutor.answer by name (send_task blocks on the broker, so off the loop)."""
        app = self.celery
        await anyio.to_thread.run_sync(
            lambda: app.send_task(TASK_ANSWER, args=[interaction_id], retry=True,
                                  retry_policy={"max_retries": 2, "interval_start": 0.2,
                                                "interval_step": 0.5, "interval_max": 1.0})
        )  # fmt: skip

    async def start(self) -> None:
        _ = self.celery
        self.notifier.start()

    async def stop(self) -> None:
        await self.notifier.stop()
        if self._celery is not None:
            self._celery.close()
        if self._own_cache_client is not None:
            await self._own_cache_client.aclose()


async def _startup(app: FastAPI) -> None:
    app.state.tutor = TutorRuntime(app.state.settings, app.state.redis)
    await app.state.tutor.start()


async def _shutdown(app: FastAPI) -> None:
    runtime = getattr(app.state, "tutor", None)
    if runtime is not None:
        await runtime.stop()


def install(app: FastAPI) -> None:
    """Register the startup/shutdown hooks on an app (an alternative to `lifespan`)."""
    app.state.startup_hooks.append(_startup)
    app.state.shutdown_hooks.append(_shutdown)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The tutor router's lifespan: FastAPI nests it inside the app's, after Redis exists."""
    if getattr(app.state, "tutor", None) is None:
        await _startup(app)
    try:
        yield
    finally:
        await _shutdown(app)


def get_runtime(request: Request) -> TutorRuntime:
    """The process's runtime; started on first use if the startup hook is missing."""
    runtime = getattr(request.app.state, "tutor", None)
    if runtime is None:
        runtime = request.app.state.tutor = TutorRuntime(
            request.app.state.settings, request.app.state.redis
        )
        runtime.notifier.start()
    return runtime
