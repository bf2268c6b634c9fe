"""What one API process holds open: built once by the app's lifespan, closed when it ends.

`open_state` is the only place that creates the engine, the async Redis clients, the
response cache, the done-notifier, the Celery producer and the pool-gauge refresher;
routes receive the result through `StateDep`. Nothing is created lazily on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

import anyio
import redis.asyncio as aioredis
from celery import Celery
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ainative.auth.verified import VerifiedTokens
from ainative.config import Settings
from ainative.db.engine import get_engine, run_in_session
from ainative.observability import probes
from ainative.runtime.queue import TASK_ANSWER, make_celery
from ainative.runtime.warmup import fill_pool
from ainative.tutor.cache import AsyncResponseCache
from ainative.tutor.streaming.hub import StreamHub
from ainative.tutor.streaming.notify import DoneNotifier

SEND_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0.2,
    "interval_step": 0.5,
    "interval_max": 1.0,
}
POOL_REFRESH_SECONDS = 5.0
T = TypeVar("T")
P = ParamSpec("P")


def make_async_redis(settings: Settings, url: str | None = None) -> aioredis.Redis:
    """A pooled asyncio client with short timeouts so a dead Redis degrades instead of hanging.

    The pool blocks (briefly) when every connection is busy, rather than failing the
    request: a lab's burst queues for a connection instead of getting 503s.
    """
    pool = aioredis.BlockingConnectionPool.from_url(
        url or settings.redis_url,
        decode_responses=True,
        socket_connect_timeout=1.0,
        socket_timeout=2.0,
        health_check_interval=30,
        max_connections=200,
        timeout=2.0,
    )
    return aioredis.Redis.from_pool(pool)


@dataclass(frozen=True)
class ApiState:
    """The process's settings and open clients, shared by every request."""

    settings: Settings
    engine: Engine
    redis: aioredis.Redis
    cache: AsyncResponseCache
    notifier: DoneNotifier
    hub: StreamHub
    celery: Celery
    verified_tokens: VerifiedTokens[Any] = field(default_factory=VerifiedTokens)

    async def db(
        self, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """The one way routes reach the database: fn(session, ...) in one transaction.

        A worker thread checks a connection out, runs fn, commits (or rolls back) and
        returns the connection before the route awaits anything else (run_in_session).
        Services written on a Connection go through `on_connection(fn)`.
        """
        return await run_in_session(self.engine, fn, *args, **kwargs)

    async def enqueue(self, interaction_id: str) -> None:
        """Send tutor.answer by name (send_task blocks on the broker, so off the loop)."""
        await anyio.to_thread.run_sync(
            lambda: self.celery.send_task(
                TASK_ANSWER, args=[interaction_id], retry=True, retry_policy=SEND_RETRY_POLICY
            )
        )


async def _refresh_pool_gauges() -> None:
    """Keep this process's pool gauges current, so every uvicorn worker is counted."""
    while True:
        await asyncio.to_thread(probes.record_pool_status)
        await asyncio.sleep(POOL_REFRESH_SECONDS)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@asynccontextmanager
async def open_state(settings: Settings) -> AsyncIterator[ApiState]:
    """Open everything the API needs; on exit close it in reverse order."""
    async with AsyncExitStack() as stack:
        engine = get_engine(settings.database_url, pool_timeout=settings.api_db_pool_timeout)
        stack.callback(engine.dispose)
        # Connect now, not under the first burst of questions after a start.
        await asyncio.to_thread(fill_pool, engine, settings.db_pool_size)
        redis = make_async_redis(settings)
        stack.push_async_callback(redis.aclose)
        cache_client = redis
        if settings.cache_redis_url and settings.cache_redis_url != settings.redis_url:
            cache_client = make_async_redis(settings, settings.cache_redis_url)
            stack.push_async_callback(cache_client.aclose)
        celery = make_celery(settings)
        stack.callback(celery.close)
        notifier = DoneNotifier(settings.redis_url)
        notifier.start()
        stack.push_async_callback(notifier.stop)
        hub = StreamHub(redis)
        hub.start()
        stack.push_async_callback(hub.stop)
        refresher = asyncio.create_task(_refresh_pool_gauges(), name="pool-gauges")
        stack.push_async_callback(_cancel, refresher)
        yield ApiState(
            settings=settings,
            engine=engine,
            redis=redis,
            cache=AsyncResponseCache(cache_client, settings),
            notifier=notifier,
            hub=hub,
            celery=celery,
        )


def get_state(request: Request) -> ApiState:
    """The state the lifespan opened (an app served without its lifespan has none)."""
    state: ApiState = request.app.state.api
    return state


StateDep = Annotated[ApiState, Depends(get_state)]
