"""The worker's observability: its own /metrics port, structured logs, task context.

Imported first by worker/app.py so multi-process metrics are prepared before any
metric exists. The main worker process serves WORKER_METRICS_PORT and adds up the
metric files of every pool child (prefork) or thread (threads pool). Each task
runs with its ids bound to the log context: task id, interaction id (the task's
one argument) and the API's request id when the message headers carry it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from celery import signals

from ainative.config import get_settings
from ainative.observability import metrics, multiproc, probes
from ainative.observability.logging import configure_logging, set_context
from ainative.observability.metrics_auth import require_bearer
from ainative.runtime.queue import TASK_ANSWER

if TYPE_CHECKING:
    from prometheus_client import Metric

log = logging.getLogger(__name__)
_server: dict[str, Any] = {}


class ScrapeCollector:
    """Reads Redis and the pool at scrape time, then yields every process's metric files."""

    def collect(self) -> Iterator[Metric]:
        settings = get_settings()
        if settings.redis_url:
            probes.check_redis_sync(settings.redis_url, [settings.tutor_queue])
        probes.record_pool_status()
        yield from multiproc.registry().collect()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (stdlib's name)
        """Scrapes are not worth a line each (the access log of the API skips them too)."""


def start_metrics_server(port: int | None = None, host: str | None = None) -> int | None:
    """Serve /metrics from this process (the monitoring token only, before any probe of
    Redis: ainative.observability.metrics_auth); returns the port, or None if disabled
    or taken."""
    from prometheus_client import CollectorRegistry, make_wsgi_app
    from prometheus_client.exposition import ThreadingWSGIServer

    settings = get_settings()
    port = settings.worker_metrics_port if port is None else port
    if not port:
        return None
    if "server" in _server:
        return int(_server["port"])
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScrapeCollector())
    app = require_bearer(
        make_wsgi_app(registry), settings.metrics_secret(), settings.metrics_networks
    )
    try:
        server = make_server(
            host or settings.worker_metrics_host,
            port,
            app,
            ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
    except OSError as exc:
        log.warning("worker metrics port %s unavailable (%s): metrics not served", port, exc)
        return None
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    _server.update(server=server, thread=thread, port=port)
    log.info("worker metrics on port %s", port, extra={"metrics_port": port})
    return port


def _setup_logging(**_: Any) -> None:
    """Replace Celery's log format with the platform's (JSON or text, redacted)."""
    configure_logging(multiproc.detect_role()[0])


def _worker_init(**_: Any) -> None:
    """Main worker process, before the pool starts: serve metrics, export zeroes."""
    for state in ("success", "failure"):
        metrics.TASKS.labels(TASK_ANSWER, state)  # the task bodies count these
    for outcome in ("answered", "error"):
        metrics.TUTOR_REQUESTS.labels(outcome)
    provider = get_settings().llm_provider
    metrics.LLM_LATENCY.labels(provider)
    for kind in ("prompt", "completion"):
        metrics.LLM_TOKENS.labels(provider, kind)
    for reason in ("timeout", "connection"):
        metrics.LLM_ERRORS.labels(provider, reason)
    start_metrics_server()


def _child_shutdown(**_: Any) -> None:
    """A prefork child exits: its live gauges (pool figures) must stop counting."""
    multiproc.mark_dead()


def _header(request: Any, name: str) -> Any:
    value = getattr(request, name, None)
    if value is None:
        value = (getattr(request, "headers", None) or {}).get(name)
    return value


def _task_prerun(task_id: str | None = None, task: Any = None, args: Any = None, **_: Any) -> None:
    context: dict[str, Any] = {"task_id": task_id}
    if task is not None and task.name == TASK_ANSWER and args:
        context["interaction_id"] = str(args[0])
    if task is not None:
        request_id = _header(task.request, "request_id")
        if request_id:
            context["request_id"] = str(request_id)
    set_context(context)


def _task_postrun(**_: Any) -> None:
    probes.record_pool_status()
    set_context(None)


# Connected by plain calls: Celery's decorators carry no types.
signals.setup_logging.connect(_setup_logging)
signals.worker_init.connect(_worker_init)
signals.worker_process_shutdown.connect(_child_shutdown)
signals.task_prerun.connect(_task_prerun)
signals.task_postrun.connect(_task_postrun)
