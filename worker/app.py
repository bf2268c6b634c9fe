"""The worker's Celery app: the shared definition plus the task bodies and signals."""

from ainative.queue import make_celery

app = make_celery()
app.autodiscover_tasks(["worker"], related_name="tasks", force=True)
