"""deploy/nginx terminates TLS in front of the API and keeps metrics off the public side.

Debian's nginx runs the committed configuration with its ports and upstreams
rewritten to loopback (the stack's API) and a throw-away certificate.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.nginxutil import edge_nginx
from tests.stack import Stack


def test_nginx_terminates_tls_proxies_the_api_and_hides_metrics(
    stack: Stack, tmp_path: Path
) -> None:
    api_address = stack.api_url.removeprefix("http://")
    with edge_nginx(tmp_path, api_address) as edge:
        base, http_port = edge.base, edge.http_port
        with httpx.Client(verify=False, timeout=10) as client:
            health = client.get(f"{base}/api/v1/health", headers={"X-Request-ID": "edge-req-12345"})
            assert health.status_code == 200 and health.json()["status"] in ("healthy", "degraded")
            assert health.headers["x-request-id"] == "edge-req-12345"
            assert health.headers["strict-transport-security"].startswith("max-age=")
            for path in ("/metrics", "/api/metrics", "/hub/metrics", "/services/flower/metrics"):
                assert client.get(base + path).status_code == 404, path
            redirect = client.get(f"http://127.0.0.1:{http_port}/api/v1/health")
            assert redirect.status_code == 301
            assert redirect.headers["location"].startswith("https://")
