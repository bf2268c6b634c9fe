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
