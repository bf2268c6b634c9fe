"""`make run` stays true: `ainative up` on an empty data folder starts all, stops on Ctrl-C.

It runs from an empty folder, not the repository: the package brings what it needs, and
the data folder defaults to `.data` in the working directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ainative.devservices import free_port


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


def test_up_starts_platform_with_embedded_services_and_stops_on_ctrl_c(
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
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(60)
    # Everything it started is gone, embedded servers included.
    leftover = subprocess.run(
        ["pgrep", "-f", str(workdir / ".data")], capture_output=True, text=True
    ).stdout.split()
    assert leftover == [], (tmp_path / "up.log").read_text()[-3000:]


def _wait_ok(url: str, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def _demo_password(workdir: Path, user: str) -> str:
    lines = (workdir / ".data" / "demo_accounts.txt").read_text().splitlines()
    return dict(line.split("\t") for line in lines)[user]
