"""Helpers for the operations tests: scrape and read Prometheus text, Flower."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from ainative.runtime.devservices import free_port
from ainative.runtime.processes import flower_command
from tests.conftest import TEST_ENV
from tests.stack import REPO_ROOT, Stack
from tests.support.platform import wait_http

Samples = dict[tuple[str, frozenset], float]
# What Prometheus sends to every /metrics (deploy/prometheus/prometheus.yml).
METRICS_HEADERS = {"Authorization": f"Bearer {TEST_ENV['METRICS_TOKEN']}"}


def scrape(url: str) -> Samples:
    """Every sample of a /metrics page (with the monitoring token), keyed by (name, labels)."""
    r = httpx.get(url, headers=METRICS_HEADERS, timeout=10)
    r.raise_for_status()
    out: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            labels = frozenset((k, v) for k, v in s.labels.items() if k != "pid")
            out[(s.name, labels)] = out.get((s.name, labels), 0.0) + s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples named `name` whose labels include `labels` (0 when absent)."""
    want = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and want <= set(lab))


def names(samples: Samples) -> set[str]:
    return {n for n, _ in samples}


def delta(after: Samples, before: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def start_metrics_worker(
    stack: Stack, name: str, *extra_argv: str, env: dict[str, str] | None = None
) -> str:
    """A further Celery worker on the stack serving /metrics on a free port; returns its URL."""
    port = free_port()
    env = {**(env or {}), "WORKER_METRICS_PORT": str(port), "WORKER_METRICS_HOST": "127.0.0.1"}
    proc = stack.start_worker(name, env, extra_argv)
    url = f"http://127.0.0.1:{port}/metrics"
    wait_http(url, process=proc)
    return url


def start_flower(
    env: dict[str, str],
    log_path: Path,
    prefix: str = "",
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen, str]:
    """Flower as the launcher runs it (flower_command) on a loopback port; its base URL.

    Its login is the hub's (FLOWER_HUB_TOKEN, HUB_SERVICE_API_URL in `extra_env`)."""
    port = port or free_port()
    inherited = {k: v for k, v in os.environ.items() if k != "FLOWER_BASIC_AUTH"}
    full_env = {
        **inherited,
        **env,
        "FLOWER_PORT": str(port),
        "FLOWER_HOST": "127.0.0.1",
        "FLOWER_URL_PREFIX": prefix,
        **(extra_env or {}),
    }
    log = open(log_path, "ab")
    proc = subprocess.Popen(
        flower_command(),
        cwd=REPO_ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}" + (f"/{prefix}" if prefix else "")
    wait_http(f"{url}/healthcheck", process=proc)
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def json_lines(path: Path) -> list[dict]:
    """The JSON log lines of a process's log (banners and other text are skipped)."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out
