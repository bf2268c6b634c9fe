"""Who may read a /metrics page: whoever sends the monitoring bearer token, nobody else.

Metrics reveal what `/health/details` keeps for admins (pool figures, queue depth,
error counts) and each scrape probes Redis, so the API, the worker's metrics port and
Flower answer 401 to any request without `Authorization: Bearer <METRICS_TOKEN>`
(Prometheus reads it from a file: deploy/prometheus/prometheus.yml). A user's access
token is not it. The hub checks the same token as its service `prometheus`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from typing import Any

REFUSAL = "metrics need the monitoring token (Authorization: Bearer <METRICS_TOKEN>)"


class MetricsTokenError(Exception):
    """A /metrics request without the monitoring token."""


def bearer_matches(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries `Bearer <token>` (constant-time compare)."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(value.strip().encode(), token.encode())


def check_bearer(header: str | None, token: str) -> None:
    """Raise MetricsTokenError unless the header carries the monitoring token."""
    if not bearer_matches(header, token):
        raise MetricsTokenError(REFUSAL)


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def require_bearer(app: WsgiApp, token: str) -> WsgiApp:
    """A WSGI app answering 401 before `app` runs (so before any scrape-time probe)."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if bearer_matches(environ.get("HTTP_AUTHORIZATION"), token):
            return app(environ, start_response)
        start_response(
            "401 Unauthorized",
            [("WWW-Authenticate", "Bearer"), ("Content-Type", "text/plain; charset=utf-8")],
        )
        return [REFUSAL.encode() + b"\n"]

    return guarded
