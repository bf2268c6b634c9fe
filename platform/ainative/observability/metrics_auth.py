"""Who may read a /metrics page: whoever sends the monitoring bearer token, nobody else.

Metrics reveal what `/health/details` keeps for admins (pool figures, queue depth,
error counts) and each scrape probes Redis, so the API, the worker's metrics port and
Flower answer 401 to any request without `Authorization: Bearer <METRICS_TOKEN>`
(Prometheus reads it from a file: deploy/prometheus/prometheus.yml). A user's access
token is not it. The hub checks the same token as its service `prometheus`. With
METRICS_NETWORKS set, the API and the worker answer 404 to a peer outside those ranges
before looking at the token (compose: only Prometheus's network; students' containers
reach the API but not its metrics).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable, Iterable, Sequence
from typing import Any

REFUSAL = "metrics need the monitoring token (Authorization: Bearer <METRICS_TOKEN>)"


class MetricsTokenError(Exception):
    """A /metrics request without the monitoring token."""


class MetricsNetworkError(Exception):
    """A /metrics request from outside METRICS_NETWORKS: answered as if nothing were there."""

    def __init__(self) -> None:
        super().__init__("Not Found")


def peer_allowed(address: str | None, networks: Sequence[str]) -> bool:
    """Whether the direct peer is inside `networks` (empty: every address is)."""
    if not networks:
        return True
    try:
        peer = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(n, strict=False) for n in networks)


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


def require_bearer(app: WsgiApp, token: str, networks: Sequence[str] = ()) -> WsgiApp:
    """A WSGI app answering 404 outside `networks` and 401 without the token, before `app`
    runs (so before any scrape-time probe)."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not peer_allowed(environ.get("REMOTE_ADDR"), networks):
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found\n"]
        if bearer_matches(environ.get("HTTP_AUTHORIZATION"), token):
            return app(environ, start_response)
        start_response(
            "401 Unauthorized",
            [("WWW-Authenticate", "Bearer"), ("Content-Type", "text/plain; charset=utf-8")],
        )
        return [REFUSAL.encode() + b"\n"]

    return guarded
