"""The Celery floor: the platform's Celery app (ainative.runtime.queue.make_celery) with one
task that does nothing but count itself, so a task's cost is Celery's and the broker's alone.

Started by `floors.py` as `celery -A tests.bench.lab.floor_worker worker` with the
platform worker's pool, concurrency and flags, on a queue of its own (TUTOR_QUEUE).
"""

from __future__ import annotations

import redis

from ainative.config import Settings
from ainative.runtime.queue import make_celery
from tests.bench.lab.floors import DONE_KEY, TASK

settings = Settings()
app = make_celery(settings)
_redis = redis.Redis.from_url(settings.redis_url)


@app.task(name=TASK)  # type: ignore[untyped-decorator]  # Celery's decorator is untyped
def noop(i: int) -> None:
    """One INCR, as the platform's task ends with one publish."""
    _redis.incr(DONE_KEY)
