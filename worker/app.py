"""The worker's Celery app: the shared definition plus the task bodies and signals."""

from ainative.queue import make_celery
from worker import metrics  # noqa: F401  (prepares metrics and logs; serves /metrics)

app = make_celery()
app.autodiscover_tasks(["worker"], related_name="tasks", force=True)
