"""Issue 20, finding 9: a student scrapes /metrics straight from the API or a worker's
metrics port (bypassing nginx) for what `/health/details` keeps for admins, each scrape
probing Redis. Only Prometheus's bearer token (METRICS_TOKEN) opens them now.

Real API and worker over HTTP; the probes are counted on the real Redis (`LLEN` of the
tutor queue is sent by the metrics probe alone, see ainative.observability.probes).
"""

from __future__ import annotations

import base64

import httpx
import redis
from fastapi.testclient import TestClient

from ainative.config import Settings
from tests.integration.opsutil import METRICS_HEADERS, start_metrics_worker
from tests.stack import Stack

SECRET_FIGURES = ("ainative_db_pool", "ainative_redis", "ainative_queue_depth", "ainative_http")


def _probes(stack: Stack) -> int:
    """How many times Redis ran LLEN (the metrics probe's queue-depth reading)."""
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    try:
        return int(client.info("commandstats").get("cmdstat_llen", {}).get("calls", 0))
    finally:
        client.close()


def _attempts(student_token: str) -> dict[str, dict[str, str]]:
    return {
        "no token": {},
        "student's access token": {"Authorization": f"Bearer {student_token}"},
        "hub style": {"Authorization": f"token {student_token}"},
        "basic": {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()},
        "bare scheme": {"Authorization": "Bearer"},
        "wrong bearer": {"Authorization": "Bearer " + "0" * 43},
    }


def test_attack_student_scrapes_the_api_metrics_directly(stack: Stack, make_user) -> None:
    student = make_user()
    url = f"{stack.api_url}/metrics"
    before = _probes(stack)
    for name, headers in _attempts(student.access_token).items():
        r = httpx.get(url, headers=headers, timeout=10)
        assert r.status_code == 401, (name, r.status_code)
        assert r.headers.get("www-authenticate") == "Bearer", name
        assert not any(figure in r.text for figure in SECRET_FIGURES), (name, r.text[:200])
    assert _probes(stack) == before, "a refused scrape still probed Redis"
    # Prometheus's token: the figures, and the probe ran.
    r = httpx.get(url, headers=METRICS_HEADERS, timeout=10)
    assert r.status_code == 200 and "ainative_db_pool_checked_out" in r.text
    assert _probes(stack) > before


def test_attack_student_scrapes_a_workers_metrics_port(stack: Stack, make_user) -> None:
    student = make_user()
    url = start_metrics_worker(stack, "metricsw")
    try:
        before = _probes(stack)
        for name, headers in _attempts(student.access_token).items():
            r = httpx.get(url, headers=headers, timeout=10)
            assert r.status_code == 401, (name, r.status_code)
            assert not any(figure in r.text for figure in SECRET_FIGURES), name
        assert _probes(stack) == before, "a refused scrape still probed Redis"
        r = httpx.get(url, headers=METRICS_HEADERS, timeout=10)
        assert r.status_code == 200 and "ainative_redis_up" in r.text
        assert _probes(stack) > before
    finally:
        stack.kill("metricsw")


def _app_from(peer: str, networks: list[str]) -> TestClient:
    """The API in this process with METRICS_NETWORKS, called from `peer` (the direct peer)."""
    from api.main import create_app

    return TestClient(create_app(Settings(metrics_networks=networks)), client=(peer, 50000))


def test_attack_token_holder_outside_metrics_networks_gets_404(stack: Stack) -> None:
    """A student's container on its own network, even holding the token: nothing there.
    X-Forwarded-For cannot put it inside: only the direct peer counts."""
    before = _probes(stack)
    with _app_from("172.29.0.7", ["172.28.0.0/24"]) as outside:
        for headers in ({}, METRICS_HEADERS, {**METRICS_HEADERS, "X-Forwarded-For": "172.28.0.5"}):
            r = outside.get("/metrics", headers=headers)
            assert r.status_code == 404, (headers.keys(), r.status_code)
            assert not any(figure in r.text for figure in SECRET_FIGURES)
    assert _probes(stack) == before, "a refused scrape still probed Redis"
    with _app_from("172.28.0.200", ["172.28.0.0/24"]) as prometheus:
        assert prometheus.get("/metrics").status_code == 401  # inside, still the token
        r = prometheus.get("/metrics", headers=METRICS_HEADERS)
        assert r.status_code == 200 and "ainative_db_pool_checked_out" in r.text


def test_attack_workers_metrics_port_outside_metrics_networks_gets_404(stack: Stack) -> None:
    url = start_metrics_worker(stack, "metricsnet", env={"METRICS_NETWORKS": "10.0.0.0/8"})
    try:
        r = httpx.get(url, headers=METRICS_HEADERS, timeout=10)  # from 127.0.0.1: outside
        assert r.status_code == 404 and "ainative_" not in r.text, r.status_code
    finally:
        stack.kill("metricsnet")
