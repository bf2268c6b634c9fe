"""The worker's Celery app: the shared definition plus the task bodies and signals."""

from ainative.config import get_settings
from ainative.runtime.queue import make_celery
from worker import observability  # noqa: F401  (prepares metrics and logs; serves /metrics)

settings = get_settings()
settings.check_production()  # refuse unsafe production settings before taking any task
app = make_celery(settings)
app.autodiscover_tasks(["worker"], related_name="tasks", force=True)
