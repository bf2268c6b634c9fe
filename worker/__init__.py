"""Celery worker: `celery -A worker worker` finds `app` here and the tasks it registers."""

from worker.app import app

__all__ = ["app"]
