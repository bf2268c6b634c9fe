"""Metrics move by the right amounts through the real stack, across several processes.

A stack of its own on an isolated queue: the API under uvicorn with two workers and
a Celery worker with two prefork children, each endpoint adding up its processes'
files (PROMETHEUS_MULTIPROC_DIR under METRICS_MULTIPROC_DIR). Tutoring requests go
through the real API and worker; the deltas of the counters and histograms must equal
what was done.
"""

from __future__ import annotations

import re
import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from ainative.runtime.devservices import free_port
from tests.integration.opsutil import delta, json_lines, scrape, value
from tests.stack import Stack
from tests.support.api import ask, unique_prompt, wait_answer
from tests.support.eventually import eventually
from tests.support.platform import wait_http

POST_ROUTE = "/api/v1/tutor/requests"
GET_ROUTE = "/api/v1/tutor/requests/{interaction_id}"
API_ARGS = ("--workers", "2")
WORKER_ARGS = ("--pool", "prefork", "--concurrency", "2")  # tasks reach both children


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
        """The API with two uvicorn processes and the worker, no beat of its own."""
        st = self.stack
        st.start_platform(("opsw",), beat=False, api_args=API_ARGS, worker_args=WORKER_ARGS)
        wait_http(self.worker_url)

    def start_worker(self) -> None:
        worker = self.stack.start_worker("opsw", args=WORKER_ARGS)
        wait_http(self.worker_url, process=worker)

    def scrape_until(self, name: str, expected: float, **labels: str) -> float:
        """Scrape the API until `name` reads `expected` (gauges refresh every few seconds);
        the last reading."""
        got = value(scrape(f"{self.api_url}/metrics"), name, **labels)

        def reads_expected() -> bool:
            nonlocal got
            got = value(scrape(f"{self.api_url}/metrics"), name, **labels)
            return got == expected

        eventually(reads_expected, 30, interval=0.5)
        return got


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
    sent: Counter[tuple[str, str, int]] = Counter()  # (method, route, status) of every reply

    def count(response: httpx.Response) -> None:
        path = response.request.url.path
        route = GET_ROUTE if path.startswith(POST_ROUTE + "/") else path
        sent[(response.request.method, route, response.status_code)] += 1

    api_before, worker_before = scrape(f"{ops.api_url}/metrics"), scrape(ops.worker_url)
    with httpx.Client(base_url=ops.api_url, timeout=40, event_hooks={"response": [count]}) as api:
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
    long_polls = sent[("GET", GET_ROUTE, 200)]
    assert long_polls >= 4 and sum(sent.values()) == long_polls + 4 + 1 + 20, sent
    assert api_delta(http, method="GET", route=GET_ROUTE, status="200") == long_polls
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
    ids = {r.json()["id"] for r in accepted}
    logs = json_lines(ops.stack.log_dir / "opsw.log")
    task_pids = {line["pid"] for line in logs if line.get("interaction_id") in ids}
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
    # Nothing in flight: once each process refreshed its gauge, no connection is checked out.
    assert ops.scrape_until("ainative_db_pool_checked_out", 0) == 0


def test_queue_depth_counts_the_waiting_messages(ops, make_user) -> None:
    """With the queue's only worker stopped, three questions are three waiting messages."""
    user = make_user()
    ops.stack.kill("opsw", signal.SIGTERM)
    try:
        with httpx.Client(base_url=ops.api_url, timeout=40) as api:
            accepted = [ask(api, user.headers, unique_prompt("depth")) for _ in range(3)]
            assert [r.status_code for r in accepted] == [202] * 3, [r.text for r in accepted]
            samples = scrape(f"{ops.api_url}/metrics")
            assert value(samples, "ainative_queue_depth", queue=ops.queue) == 3
            admin = make_user(roles=("admin",))
            stats = api.get("/api/v1/admin/stats", headers=admin.headers).json()
            assert stats["queue"] == {"name": ops.queue, "depth": 3}
    finally:
        ops.start_worker()
    with httpx.Client(base_url=ops.api_url, timeout=40) as api:
        for r in accepted:
            assert wait_answer(api, user.headers, r.json()["id"])["status"] == "done"
    assert value(scrape(ops.worker_url), "ainative_queue_depth", queue=ops.queue) == 0


def test_multiproc_folders_are_per_endpoint(ops) -> None:
    folders = sorted(p.name for p in ops.multiproc_base.iterdir())
    assert folders == sorted([f"api-{ops.stack.api_port}", f"worker-{ops.worker_port}"])


def test_admin_stats_show_live_cache_redis_pool_and_queue(api, make_user, stack) -> None:
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
    hits, misses = stats["cache"]["hits"], stats["cache"]["misses"]
    assert stats["cache"]["hit_rate"] == round(hits / (hits + misses), 4)
    assert stats["cache"]["enabled"] is True and stats["cache"]["backend"] == "redis"
    assert stats["redis"]["up"] is True and stats["redis"]["used_memory"] > 0
    with redis.Redis.from_url(stack.services.redis_url, decode_responses=True) as client:
        config = client.config_get("maxmemory*")
    assert stats["redis"]["maxmemory_policy"] == config["maxmemory-policy"]
    assert stats["redis"]["maxmemory"] == int(config["maxmemory"])
    # The stats request holds no DB connection and nothing else runs in this API now.
    assert stats["db_pool"]["size"] == 5 and stats["db_pool"]["checkedout"] == 0
    # The beat's sweeper passes through this queue every 2 s, so its depth is not fixed
    # here; test_queue_depth_counts_the_waiting_messages checks the figure on its own queue.
    assert stats["queue"]["name"] == "tutor" and isinstance(stats["queue"]["depth"], int)
