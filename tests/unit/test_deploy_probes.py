"""Supervision in deploy: restart policies and probes that match what tests/faults proves.

The worker's liveness is `ainative worker-alive` (its consumer's heartbeat), in
docker-compose and Kubernetes alike; the API stays live while health answers, even
503 (a database outage is not cured by restarting the API).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from ainative.cli import build_parser
from ainative.runtime.devservices import free_port
from tests.unit.test_deploy_k8s import _workloads

ROOT = Path(__file__).resolve().parents[2]
WORKER_ALIVE = ["ainative", "worker-alive", "--name", "worker"]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _container(name: str) -> dict:
    return _workloads()[name]["spec"]["template"]["spec"]["containers"][0]


def test_compose_restarts_every_platform_service() -> None:
    services = _compose()["services"]
    for name in ("api", "worker", "beat", "flower"):
        assert services[name]["restart"] == "unless-stopped", name


def test_compose_kills_a_worker_that_stopped_consuming() -> None:
    worker = _compose()["services"]["worker"]
    assert worker["healthcheck"]["test"] == ["CMD", *WORKER_ALIVE, "--kill-stuck"]
    assert worker["init"] is True  # so the worker is not PID 1 and can be killed


def test_k8s_worker_liveness_is_its_consumers_heartbeat() -> None:
    worker = _container("ainative-worker")
    for probe in ("livenessProbe", "startupProbe"):
        assert worker[probe]["exec"]["command"] == WORKER_ALIVE, probe


def test_the_probe_command_exists_with_the_options_the_manifests_use() -> None:
    args = build_parser().parse_args(["worker-alive", "--name", "worker", "--kill-stuck"])
    assert args.name == "worker" and args.kill_stuck is True


def test_k8s_api_is_ready_on_health_and_live_while_health_answers() -> None:
    api = _container("ainative-api")
    assert api["readinessProbe"]["httpGet"]["path"] == "/api/v1/health"
    command = api["livenessProbe"]["exec"]["command"]
    assert command[:2] == ["python", "-c"] and "except e.HTTPError: pass" in command[2]
    # On a port nothing listens on, the probe fails: no answer is a dead API.
    script = command[2].replace(":8080/", f":{free_port()}/")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert result.returncode == 1 and b"URLError" in result.stderr
