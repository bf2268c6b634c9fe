"""The API's observability: GET /metrics, request ids, HTTP metrics and access lines.

`install_observability(app)` wires it all; the middleware is pure ASGI (no extra
task per request) and labels by route template, never by raw path, so ids in URLs
cannot blow up the number of series.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ainative.observability import metrics, metrics_auth, multiproc, probes
from ainative.observability.logging import bind, configure_logging, current_context, log_context
from ainative.runtime.queue import TASK_ANSWER
from api.state import StateDep

log = logging.getLogger("ainative.access")
router = APIRouter()

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
QUIET_ROUTES = {"/metrics", "/api/v1/health", "/api/v1/health/ready", "/api/v1/health/live"}
TUTOR_REQUEST_PREFIX = "/api/v1/tutor/requests/{"
TUTOR_OUTCOMES = ("cache_hit", "queued", "quota_exceeded", "rejected")


def _request_id(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


def _bind_from_scope(scope: dict[str, Any], template: str, ctx: dict[str, Any]) -> None:
    """Ids the route learned: the caller (deps sets request.state.user_id), the interaction."""
    user_id = (scope.get("state") or {}).get("user_id")
    if user_id is not None:
        ctx.setdefault("user_id", user_id)
    params = scope.get("path_params") or {}
    interaction_id = params.get("interaction_id")
    if interaction_id is None and template.startswith(TUTOR_REQUEST_PREFIX) and params:
        interaction_id = next(iter(params.values()))
    if interaction_id is not None:
        ctx.setdefault("interaction_id", str(interaction_id))


class ObservabilityMiddleware:
    """Bind a request id, count and time the request by route template, log one access line."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        status = {"code": 500}

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        start = time.perf_counter()
        with log_context(request_id=request_id) as ctx:
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                elapsed = time.perf_counter() - start
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                method = scope.get("method", "GET")
                metrics.HTTP_REQUESTS.labels(method, template, str(status["code"])).inc()
                metrics.HTTP_LATENCY.labels(method, template).observe(elapsed)
                _bind_from_scope(scope, template, ctx)
                level = logging.DEBUG if template in QUIET_ROUTES else logging.INFO
                log.log(
                    level,
                    "%s %s %s",
                    method,
                    template,
                    status["code"],
                    extra={
                        "method": method,
                        "route": template,
                        "path": scope.get("path", ""),
                        "status": status["code"],
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )


async def require_metrics_token(request: Request, state: StateDep) -> None:
    """Only the monitoring token opens /metrics (ainative.observability.metrics_auth), and
    only from METRICS_NETWORKS when set (the direct peer, never X-Forwarded-For)."""
    peer = request.client.host if request.client else None
    if not metrics_auth.peer_allowed(peer, state.settings.metrics_networks):
        raise metrics_auth.MetricsNetworkError()
    metrics_auth.check_bearer(request.headers.get("authorization"), state.settings.metrics_secret())


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_metrics_token)])
async def read_metrics(state: StateDep) -> Response:
    """Prometheus exposition of every process behind this port (plus scrape-time readings)."""
    await probes.check_redis_async(state.redis, [state.settings.tutor_queue])
    await asyncio.to_thread(probes.record_pool_status)
    await asyncio.to_thread(probes.record_escalations, state.engine)
    registry = multiproc.registry()
    body = generate_latest(registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def tag_outgoing_task(
    sender: str | None = None, headers: dict[str, Any] | None = None, body: Any = None, **_: Any
) -> None:
    """before_task_publish: the request id rides in the message headers to the worker's logs,
    and the enqueued interaction id joins this request's access line."""
    ctx = current_context()
    if headers is not None and ctx.get("request_id"):
        headers.setdefault("request_id", ctx["request_id"])
    if sender == TASK_ANSWER and isinstance(body, list | tuple) and body and body[0]:
        bind(interaction_id=str(body[0][0]))


def install_observability(app: FastAPI) -> None:
    """Add /metrics, the request-id/metrics middleware and structured logs to the API."""
    if multiproc.detect_role()[0] == "api":
        configure_logging("api")  # a served process; in-process tests keep pytest's logging
    for outcome in TUTOR_OUTCOMES:
        metrics.TUTOR_REQUESTS.labels(outcome)  # exported as 0 before the first request
    for result in ("hit", "miss"):
        metrics.CACHE_REQUESTS.labels(result)
    from celery.signals import before_task_publish

    before_task_publish.connect(tag_outgoing_task, weak=False, dispatch_uid="ainative-request-id")
    app.add_middleware(ObservabilityMiddleware)
    app.include_router(router)
