"""`ainative worker-alive`, the worker's liveness probe, against the shared stack's worker.

A stopped consumer failing it is proved by tests/faults (worker_stuck)."""

from __future__ import annotations

import os
import subprocess
import sys

from ainative.runtime.devservices import free_port


def _probe(stack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "ainative.cli", "worker-alive", *args]
    return subprocess.run(
        argv, env={**os.environ, **stack.env, **env}, capture_output=True, text=True, timeout=60
    )


def test_a_consuming_worker_is_alive(stack) -> None:
    result = _probe(stack, "--name", "worker")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "alive" in result.stdout


def test_a_worker_without_heartbeat_is_not(stack) -> None:
    result = _probe(stack, "--hostname", "nobody@nowhere")
    assert result.returncode == 1 and "no heartbeat" in result.stdout


def test_redis_out_of_reach_is_not_the_workers_fault(stack) -> None:
    result = _probe(stack, "--name", "worker", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert result.returncode == 0 and "Redis unreachable" in result.stdout
