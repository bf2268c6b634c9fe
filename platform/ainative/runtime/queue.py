"""The shared Celery app definition and the task contract.

The API enqueues by task name through this app; only worker/ registers the task
bodies. Tasks take ids, never objects: `tutor.answer(interaction_id: str)`.
"""

from __future__ import annotations

from celery import Celery
from kombu.entity import Queue

from ainative.config import Settings, get_settings
from ainative.runtime.broker import transport_for

TASK_ANSWER = "tutor.answer"
TASK_SWEEP = "tutor.sweep"
TASK_HUB_REMOVAL = "tutor.hub_removal"  # the hub part of deleted accounts, retried by beat
HUB_REMOVAL_INTERVAL = 60.0  # seconds between beat's passes over hub_deletions
TASK_LTI_SYNC = "lti.sync_roster"  # one course's NRPS roster sync (course_id, requested_by)
TASK_LTI_SYNC_ALL = "lti.sync_rosters"  # beat: every LMS course that offers a roster


def make_celery(settings: Settings | None = None) -> Celery:
    """A Celery app on REDIS_URL: JSON only, late acks, prefetch 1, a named queue."""
    settings = settings or get_settings()
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: Celery needs a real broker")
    app = Celery("ainative", broker=settings.redis_url, backend=None)
    transport = transport_for(settings.redis_url)
    if transport is not None:
        app.conf.broker_transport = transport
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.tutor_queue,
        task_queues=[Queue(settings.tutor_queue)],  # type: ignore[no-untyped-call]  # kombu
        task_routes={"tutor.*": {"queue": settings.tutor_queue}},
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        # Flower's task list. Each event costs the worker a publish per task state, so
        # they are off until Flower, when it runs, switches them on (its enable_events
        # broadcast every 5 s); WORKER_TASK_EVENTS=true sends them from the start.
        worker_send_task_events=settings.worker_task_events,
        timezone="UTC",
        enable_utc=True,
        beat_schedule=_beat_schedule(settings),
    )
    return app


def _beat_schedule(settings: Settings) -> dict[str, dict[str, object]]:
    """Beat's periodic tasks; the roster sync only when LTI_ROSTER_SYNC_INTERVAL > 0."""
    schedule: dict[str, dict[str, object]] = {
        "sweep-stuck-interactions": {
            "task": TASK_SWEEP,
            "schedule": settings.sweeper_interval_seconds,
        },
        "remove-deleted-accounts-from-hub": {
            "task": TASK_HUB_REMOVAL,
            "schedule": HUB_REMOVAL_INTERVAL,
        },
    }
    if settings.lti_roster_sync_interval > 0:
        schedule["sync-lms-rosters"] = {
            "task": TASK_LTI_SYNC_ALL,
            "schedule": float(settings.lti_roster_sync_interval),
        }
    return schedule
