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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ainative.runtime.devservices import free_port
from tests.support.eventually import eventually


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
        health_url = f"http://127.0.0.1:{api_port}/api/v1/health"
        # until the API answers, or `ainative up` exits (its output says why)
        eventually(lambda: proc.poll() is not None or _ok(health_url), 90, interval=0.5)
        output = (tmp_path / "up.log").read_text()
        assert _ok(health_url), output
        assert f"http://127.0.0.1:{api_port}" in output
        assert "Demo accounts" in output
        login = httpx.post(
            f"http://127.0.0.1:{api_port}/api/v1/auth/login",
            json={"username": "student", "password": _demo_password(workdir, "student")},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        # Flower runs from the package's config, behind the hub's login.
        flower = f"http://127.0.0.1:{flower_port}/services/flower"
        assert eventually(lambda: _ok(f"{flower}/healthcheck"), 60, interval=0.5), (
            tmp_path / "up.log"
        ).read_text()[-3000:]
        closed = httpx.get(f"{flower}/api/workers", timeout=10)
        assert closed.status_code == 302, closed.text
        assert closed.headers["location"].startswith("/services/flower/login"), closed.headers
        assert httpx.get(f"{flower}/metrics", timeout=10).status_code == 401
        assert httpx.get(f"http://127.0.0.1:{api_port}/metrics", timeout=10).status_code == 401

        # A killed worker is restarted; the API keeps answering meanwhile.
        worker = _worker_pid(proc.pid)
        assert worker is not None, (tmp_path / "up.log").read_text()[-3000:]
        os.killpg(worker, signal.SIGKILL)
        api = f"http://127.0.0.1:{api_port}"
        assert httpx.get(f"{api}/api/v1/health", timeout=10).status_code == 200
        restarted = "worker exited with code -9 (SIGKILL); restarting in 1 s"
        assert eventually(
            lambda: restarted in (tmp_path / "up.log").read_text(), 90, interval=0.5
        ), (tmp_path / "up.log").read_text()[-3000:]
        assert eventually(lambda: _worker_pid(proc.pid) not in (None, worker), 90, interval=0.5)
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


def _wait_answer(url: str, headers: dict[str, str], seconds: float = 120) -> dict[str, Any]:
    """Long-poll an interaction until it is done or failed."""
    body: dict[str, Any] = {}

    def finished() -> bool:
        nonlocal body
        got = httpx.get(url, params={"wait": 10}, headers=headers, timeout=30)
        assert got.status_code == 200, got.text
        body = got.json()
        return body["status"] in ("done", "error")

    eventually(finished, seconds, interval=0)
    return body


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _demo_password(workdir: Path, user: str) -> str:
    lines = (workdir / ".data" / "demo_accounts.txt").read_text().splitlines()
    return dict(line.split("\t") for line in lines)[user]
