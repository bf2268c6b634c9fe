"""`make run` stays true: `ainative up` on an empty data folder starts all, stops on Ctrl-C.

It runs from an empty folder, not the repository: the package brings what it needs, and
the data folder defaults to `.data` in the working directory. A process that dies is
restarted while the others keep serving.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ainative.runtime.devservices import free_port


@pytest.fixture
def workdir() -> Iterator[Path]:
    """An empty working folder outside pytest's temp root.

    As root, pgserver runs PostgreSQL as another user that must traverse the path, and every
    pytest session that starts resets /tmp/pytest-of-root to 0700: a concurrent session would
    lock the server out of tmp_path.
    """
    folder = Path(tempfile.mkdtemp(prefix="ainative-launcher-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_up_starts_platform_restarts_a_killed_worker_and_stops_on_ctrl_c(
    tmp_path: Path, workdir: Path
) -> None:
    api_port, flower_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "ENVIRONMENT", "FLOWER_BASIC_AUTH", "DATA_DIR"}
    }
    env.update(
        API_PORT=str(api_port),
        FLOWER_PORT=str(flower_port),
        BCRYPT_ROUNDS="4",
    )
    log = open(tmp_path / "up.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ainative.cli", "up", "--no-hub"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{api_port}/api/v1/health", timeout=2)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        output = (tmp_path / "up.log").read_text()
        assert health is not None and health.status_code == 200, output
        assert f"http://127.0.0.1:{api_port}" in output
        assert "Demo accounts" in output
        login = httpx.post(
            f"http://127.0.0.1:{api_port}/api/v1/auth/login",
            json={"username": "student", "password": _demo_password(workdir, "student")},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        # Flower runs from the package's config, behind the per-install password.
        flower = f"http://127.0.0.1:{flower_port}/services/flower"
        assert _wait_ok(f"{flower}/healthcheck"), (tmp_path / "up.log").read_text()[-3000:]
        assert httpx.get(f"{flower}/api/workers", timeout=10).status_code == 401

        # A killed worker is restarted; the API keeps answering meanwhile.
        worker = _worker_pid(proc.pid)
        assert worker is not None, (tmp_path / "up.log").read_text()[-3000:]
        os.killpg(worker, signal.SIGKILL)
        api = f"http://127.0.0.1:{api_port}"
        assert httpx.get(f"{api}/api/v1/health", timeout=10).status_code == 200
        restarted = "worker exited with code -9 (SIGKILL); restarting in 1 s"
        assert _wait_until(lambda: restarted in (tmp_path / "up.log").read_text()), (
            tmp_path / "up.log"
        ).read_text()[-3000:]
        assert _wait_until(lambda: _worker_pid(proc.pid) not in (None, worker))
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        asked = httpx.post(
            f"{api}/api/v1/tutor/requests",
            json={"prompt": "Why does my loop stop early after the restart?", "mode": "hints"},
            headers=headers,
            timeout=10,
        )
        assert asked.status_code == 202, asked.text
        answer = _wait_answer(f"{api}/api/v1/tutor/requests/{asked.json()['id']}", headers)
        assert answer["status"] == "done" and answer["answer"], answer
        assert httpx.get(f"{api}/api/v1/health", timeout=10).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(60)
    # Everything it started is gone, embedded servers included.
    leftover = subprocess.run(
        ["pgrep", "-f", str(workdir / ".data")], capture_output=True, text=True
    ).stdout.split()
    assert leftover == [], (tmp_path / "up.log").read_text()[-3000:]


def _worker_pid(launcher: int) -> int | None:
    """The Celery worker the launcher runs (its child, leader of its own process group)."""
    found = subprocess.run(
        ["pgrep", "-P", str(launcher), "-f", "celery -A worker worker "],
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(found[0]) if found else None


def _wait_until(condition: Callable[[], bool], seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def _wait_answer(url: str, headers: dict[str, str], seconds: float = 120) -> dict[str, Any]:
    """Long-poll an interaction until it is done or failed."""
    deadline = time.monotonic() + seconds
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        got = httpx.get(url, params={"wait": 10}, headers=headers, timeout=30)
        assert got.status_code == 200, got.text
        body = got.json()
        if body["status"] in ("done", "error"):
            break
    return body


def _wait_ok(url: str, seconds: float = 60) -> bool:
    def ok() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    return _wait_until(ok, seconds)


def _demo_password(workdir: Path, user: str) -> str:
    lines = (workdir / ".data" / "demo_accounts.txt").read_text().splitlines()
    return dict(line.split("\t") for line in lines)[user]
