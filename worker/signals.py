"""Celery signal handlers: per-process resources after fork, presence while running.

The default LLM provider is built before the consumer takes its first task: building
it imports the OpenAI SDK, which can take seconds on a loaded machine, and task threads
of a freshly restarted worker waiting for it could be counted as stuck by the sweeper.

For the same reason a ready worker starts all its task threads and opens its pooled
database connections at once (ainative.runtime.warmup).
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Any

from celery.signals import worker_init, worker_process_init, worker_ready, worker_shutdown

from ainative.config import get_settings
from ainative.db.engine import dispose_after_fork, get_engine
from ainative.llm.factory import close_providers, get_provider
from ainative.runtime.warmup import fill_pool, start_threads
from worker import heartbeat

log = logging.getLogger(__name__)


def _reset_pools(**_: Any) -> None:
    """Prefork children must not share the parent's database connections."""
    dispose_after_fork()


def _build_provider(**_: Any) -> None:
    """Build this process's default LLM provider (and its client) before any task needs it."""
    get_provider(get_settings().llm_provider)


def _start_heartbeat(sender: Any = None, **_: Any) -> None:
    heartbeat.start(getattr(sender, "hostname", None) or "worker")


def _warm_up(sender: Any = None, **_: Any) -> None:
    """Task threads and database connections ready before the first burst."""
    pool = getattr(sender, "pool", None)
    executor = getattr(pool, "executor", None)  # the threads pool's; prefork has none
    threads = 0
    if isinstance(executor, Executor):
        threads = int(getattr(pool, "limit", 0) or 0)
        if threads > 0:
            start_threads(executor, threads)
    opened = fill_pool(get_engine(), get_settings().db_pool_size)
    log.info("warming up: %d task threads starting, %d database connections open", threads, opened)


def _stop(sender: Any = None, **_: Any) -> None:
    heartbeat.stop(getattr(sender, "hostname", None) or "worker")
    close_providers()


# Connected by plain calls: Celery's decorators carry no types.
worker_init.connect(_build_provider)
worker_process_init.connect(_reset_pools)
worker_ready.connect(_start_heartbeat)
worker_ready.connect(_warm_up)
worker_shutdown.connect(_stop)
