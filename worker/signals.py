"""Celery signal handlers: per-process resources after fork, presence while running."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_init, worker_ready, worker_shutdown

from ainative.db.engine import dispose_after_fork
from ainative.llm.factory import close_providers
from worker import heartbeat


def _reset_pools(**_: Any) -> None:
    """Prefork children must not share the parent's database connections."""
    dispose_after_fork()


def _start_heartbeat(sender: Any = None, **_: Any) -> None:
    heartbeat.start(getattr(sender, "hostname", None) or "worker")


def _stop(sender: Any = None, **_: Any) -> None:
    heartbeat.stop(getattr(sender, "hostname", None) or "worker")
    close_providers()


# Connected by plain calls: Celery's decorators carry no types.
worker_process_init.connect(_reset_pools)
worker_ready.connect(_start_heartbeat)
worker_shutdown.connect(_stop)
