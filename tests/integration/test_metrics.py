"""Metrics move by the right amounts through the real stack, across several processes.

A stack of its own on an isolated queue: the API under uvicorn with two workers and
a Celery worker with two prefork children, each endpoint adding up its processes'
files (PROMETHEUS_MULTIPROC_DIR under METRICS_MULTIPROC_DIR). Tutoring requests go
through the real API and worker; the deltas of the counters and histograms must equal
what was done.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ainative.devservices import free_port
from ainative.processes import api_command, worker_command
from tests.integration.opsutil import (
    ask,
    delta,
    json_lines,
    scrape,
    unique_prompt,
    value,
    wait_answer,
)
from tests.stack import Stack, wait_http

pytestmark = pytest.mark.integration
POST_ROUTE = "/api/v1/tutor/requests"
GET_ROUTE = "/api/v1/tutor/requests/{interaction_id}"


class OpsStack:
    def __init__(self, stack: Stack, tmp: Path) -> None:
        self.queue = f"ops-{uuid.uuid4().hex[:8]}"
        self.worker_port = free_port()
        self.multiproc_base = tmp / "multiproc"
        env = {
            **stack.env,
            "TUTOR_QUEUE": self.queue,
            "METRICS_MULTIPROC_DIR": str(self.multiproc_base),
            "WORKER_METRICS_PORT": str(self.worker_port),
            "WORKER_METRICS_HOST": "127.0.0.1",
            "OFFLINE_DELAY_SECONDS": "0.5",  # overlapping tasks reach both pool children
        }
        self.stack = Stack(services=stack.services, env=env, log_dir=tmp)
        self.api_url = self.stack.api_url
        self.worker_url = f"http://127.0.0.1:{self.worker_port}/metrics"

    def start(self) -> None:
        st = self.stack
        api = st.spawn("api", api_command(st.settings(), port=st.api_port) + ["--workers", "2"])
        wait_http(f"{self.api_url}/api/v1/health", process=api)
        argv = worker_command(st.settings(), name="opsw") + ["--pool", "prefork"]
        argv += ["--concurrency", "2"]
        worker = st.spawn("opsw", argv)
        st.wait_worker("opsw", worker)
        wait_http(self.worker_url, process=worker)


@pytest.fixture(scope="module")
def ops(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsStack]:
    ops = OpsStack(stack, tmp_path_factory.mktemp("ops-stack"))
    try:
        ops.start()
        yield ops
    finally:
        ops.stack.stop()


def test_tutoring_moves_api_and_worker_metrics_by_the_right_amounts(ops, make_user) -> None:
    user = make_user()
    api_before, worker_before = scrape(f"{ops.api_url}/metrics"), scrape(ops.worker_url)
    with httpx.Client(base_url=ops.api_url, timeout=40) as api:
        prompts = [unique_prompt("m") for _ in range(4)]
        accepted = [ask(api, user.headers, p) for p in prompts]
        assert [r.status_code for r in accepted] == [202] * 4, [r.text for r in accepted]
        for r in accepted:
            assert wait_answer(api, user.headers, r.json()["id"])["status"] == "done"
        repeat = ask(api, user.headers, prompts[0])  # answered now: served from the cache
        assert repeat.status_code == 200, repeat.text
        for _ in range(20):
            assert api.get("/api/v1/health").status_code == 200
    api_after, worker_after = scrape(f"{ops.api_url}/metrics"), scrape(ops.worker_url)

    def api_delta(name: str, **labels: str) -> float:
        return delta(api_after, api_before, name, **labels)

    def worker_delta(name: str, **labels: str) -> float:
        return delta(worker_after, worker_before, name, **labels)

    http = "ainative_http_requests_total"
    assert api_delta(http, method="POST", route=POST_ROUTE, status="202") == 4
    assert api_delta(http, method="POST", route=POST_ROUTE, status="200") == 1
    assert api_delta(http, method="GET", route=GET_ROUTE, status="200") >= 4
    assert api_delta(http, method="GET", route="/api/v1/health", status="200") == 20
    latency = "ainative_http_request_duration_seconds_count"
    assert api_delta(latency, method="POST", route=POST_ROUTE) == 5
    routes = {dict(lab).get("route", "") for _, lab in api_after}
    assert not [r for r in routes if re.search(r"[0-9a-f]{8}-[0-9a-f]{4}", r)]  # ids never labels
    assert api_delta("ainative_tutor_requests_total", outcome="queued") == 4
    assert api_delta("ainative_tutor_requests_total", outcome="cache_hit") == 1
    assert api_delta("ainative_cache_requests_total", result="hit") == 1
    assert api_delta("ainative_cache_requests_total", result="miss") == 4

    assert worker_delta("ainative_tutor_requests_total", outcome="answered") == 4
    assert worker_delta("ainative_worker_tasks_total", task="tutor.answer", state="success") == 4
    for histogram in (
        "ainative_tutor_queue_wait_seconds",
        "ainative_tutor_end_to_end_seconds",
        "ainative_llm_request_duration_seconds",
    ):
        assert worker_delta(f"{histogram}_count") == 4, histogram
        assert worker_delta(f"{histogram}_sum") > 0, histogram
        assert worker_delta(f"{histogram}_bucket", le="+Inf") == 4, histogram
    assert worker_delta("ainative_llm_tokens_total", kind="completion") > 0

    # The four tasks ran in both prefork children, and the endpoint added them up.
    logs = json_lines(ops.stack.log_dir / "opsw.log")
    task_pids = {line["pid"] for line in logs if line.get("interaction_id")}
    assert len(task_pids) == 2, f"tasks ran in {task_pids}"


def test_scrape_time_gauges_report_pool_queue_and_redis(ops) -> None:
    api = scrape(f"{ops.api_url}/metrics")
    worker = scrape(ops.worker_url)
    for samples in (api, worker):
        assert value(samples, "ainative_redis_up") == 1
        assert value(samples, "ainative_queue_depth", queue=ops.queue) == 0
        assert value(samples, "ainative_redis_memory_used_bytes") > 0
    # Two uvicorn workers, each with a pool of DB_POOL_SIZE=5: the gauges add up.
    assert value(api, "ainative_db_pool_size") == 10
    assert value(api, "ainative_db_pool_max_overflow") == 10
    assert value(api, "ainative_db_pool_checked_out") >= 0


def test_multiproc_folders_are_per_endpoint(ops) -> None:
    folders = sorted(p.name for p in ops.multiproc_base.iterdir())
    assert folders == sorted([f"api-{ops.stack.api_port}", f"worker-{ops.worker_port}"])


def test_admin_stats_show_live_cache_redis_pool_and_queue(api, make_user) -> None:
    student, admin = make_user(), make_user(roles=("admin",))
    assert api.get("/api/v1/admin/stats", headers=student.headers).status_code == 403
    assert api.get("/api/v1/admin/stats").status_code == 401
    prompt = unique_prompt("stats")
    first = ask(api, student.headers, prompt)
    assert wait_answer(api, student.headers, first.json()["id"])["status"] == "done"
    before = api.get("/api/v1/admin/stats", headers=admin.headers).json()
    assert ask(api, student.headers, prompt).status_code == 200  # a cache hit
    r = api.get("/api/v1/admin/stats", headers=admin.headers)
    assert r.status_code == 200, r.text
    stats = r.json()
    assert stats["cache"]["hits"] == before["cache"]["hits"] + 1
    assert stats["cache"]["misses"] == before["cache"]["misses"]
    assert 0 < stats["cache"]["hit_rate"] <= 1
    assert stats["cache"]["enabled"] is True and stats["cache"]["backend"] == "redis"
    assert stats["redis"]["up"] is True and stats["redis"]["used_memory"] > 0
    assert stats["redis"]["maxmemory_policy"]
    assert stats["db_pool"]["size"] == 5 and stats["db_pool"]["checkedout"] >= 0
    assert stats["queue"] == {"name": "tutor", "depth": stats["queue"]["depth"]}
    assert stats["queue"]["depth"] >= 0
