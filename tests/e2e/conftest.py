"""JupyterHub on top of the shared stack: one hub (with configurable-http-proxy) per session.

The hub runs the same command as `ainative up` (ainative.runtime.processes.hub_command) with free
ports, its own data folder, a fresh crypt key and HUB_API_URL pointing at the stack's API.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ainative.runtime.devservices import free_port
from ainative.runtime.processes import hub_command
from tests.e2e.console import StaffConsole, running_console
from tests.stack import REPO_ROOT, Stack
from tests.support.eventually import eventually

AUTH_REFRESH_AGE = 2  # seconds: a deactivated student must lose the hub quickly in tests


@dataclass
class Hub:
    url: str
    data_dir: Path
    stack: Stack
    timings: dict[str, float]
    flower_port: int
    console_port: int
    console_token: str
    api_port: int = 0  # the hub's REST API (HUB_API_PORT): Flower's OAuth calls it

    def login(self, username: str, password: str) -> httpx.Response:
        """The hub's login form as a browser submits it (XSRF cookie + field); returns the reply."""
        client = httpx.Client(base_url=self.url, timeout=30, follow_redirects=False)
        client.get("/hub/login").raise_for_status()
        xsrf = client.cookies.get("_xsrf", path="/hub/")
        r = client.post(
            "/hub/login", data={"username": username, "password": password, "_xsrf": xsrf}
        )
        r.client = client  # type: ignore[attr-defined]  # keep the cookies with the reply
        return r

    def session(self, username: str, password: str) -> httpx.Client:
        """A logged-in client (hub cookies set)."""
        r = self.login(username, password)
        assert r.status_code == 302, f"login failed: {r.status_code} {r.text[:300]}"
        return r.client  # type: ignore[attr-defined]

    def api_token(self, client: httpx.Client, username: str) -> str:
        """A hub API token for `username`, created with the cookie session (XSRF header)."""
        xsrf = client.cookies.get("_xsrf", path="/hub/")
        r = client.post(
            f"/hub/api/users/{username}/tokens",
            json={"note": "e2e", "expires_in": 900},
            headers={"X-XSRFToken": xsrf},
        )
        assert r.status_code in (200, 201), r.text
        return r.json()["token"]


def record_timing(output_dir: Path, name: str, seconds: float) -> None:
    """Append a measured duration to tests/output/hub_timings.json (the lead reports it)."""
    path = output_dir / "hub_timings.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = round(seconds, 3)
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    print(f"[timing] {name}: {seconds:.2f} s")


def wait_hub(url: str, proc, timeout: float = 90.0) -> None:
    """Until the hub answers 200 through the proxy (the proxy alone answers 404 at first)."""

    def answers() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterHub exited with {proc.returncode}; see stack-logs/hub.log")
        return httpx.get(url, timeout=2).status_code == 200

    if not eventually(answers, timeout, ignore=(httpx.HTTPError,)):
        raise TimeoutError(f"JupyterHub did not answer at {url} within {timeout} s")


def stop_orphan_proxy(pid_file: Path) -> None:
    """configurable-http-proxy runs in its own session; stop it if the hub could not."""
    try:
        pid = int(pid_file.read_text().strip())
        if b"configurable-http-proxy" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        pass  # no pid file, or the hub already stopped it


@contextmanager
def running_hub(
    stack: Stack,
    data_dir: Path,
    name: str = "hub",
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[Hub]:
    """A hub + proxy on free ports with its own DATA_DIR, logging to stack-logs/<name>.log."""
    shutil.rmtree(data_dir, ignore_errors=True)
    port, flower_port, api_port, console_port = (
        port or free_port(),
        free_port(),
        free_port(),
        free_port(),
    )
    console_token = secrets.token_hex(24)
    url = f"http://127.0.0.1:{port}"
    node_bin = REPO_ROOT / "node_modules" / ".bin"
    env = {
        "DATA_DIR": str(data_dir),
        "HUB_PORT": str(port),
        "HUB_API_PORT": str(api_port),
        "HUB_PROXY_API_PORT": str(free_port()),
        "HUB_API_URL": stack.api_url,
        "HUB_PUBLIC_URL": url,
        "HUB_AUTH_REFRESH_AGE": str(AUTH_REFRESH_AGE),
        "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32),
        "FLOWER_URL": f"http://127.0.0.1:{flower_port}",
        "CONSOLE_URL": f"http://127.0.0.1:{console_port}",
        "CONSOLE_HUB_TOKEN": console_token,
        "PATH": f"{node_bin}:{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        **(extra_env or {}),
    }
    started = time.monotonic()
    proc = stack.spawn(name, hub_command(), env)
    try:
        wait_hub(f"{url}/hub/health", proc)
        timings = {"hub_start": time.monotonic() - started}
        yield Hub(url, data_dir, stack, timings, flower_port, console_port, console_token, api_port)
    finally:
        if name in stack.processes:
            stack.kill(name, signal.SIGTERM)
        stop_orphan_proxy(data_dir / "hub" / "proxy.pid")
        shutil.rmtree(data_dir, ignore_errors=True)  # users' homes; the log is in stack-logs


@pytest.fixture(scope="session")
def hub(stack: Stack, output_dir: Path) -> Iterator[Hub]:
    """JupyterHub + proxy on free ports, logging to stack-logs/hub.log."""
    with running_hub(stack, output_dir / f"hub-data-{os.getpid()}") as started:
        yield started


@pytest.fixture(scope="session")
def console(hub: Hub, output_dir: Path) -> Iterator[StaffConsole]:
    """The staff console behind the shared hub, with an API of its own that can ask the hub
    who a token belongs to (the shared stack's API points at no hub)."""
    with running_console(hub, output_dir) as started:
        yield started


@pytest.fixture
def deactivate(db):
    """Set a platform user's is_active flag straight in the database."""
    from sqlalchemy import text

    def set_active(user_id: int, active: bool = False) -> None:
        with db.begin() as conn:
            conn.execute(
                text("UPDATE users SET is_active = :a WHERE id = :i"), {"a": active, "i": user_id}
            )

    return set_active


def unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def lms(hub: Hub) -> Iterator[object]:
    """The fake LMS (tests/fakes/lms.py), registered with `ainative lti add-platform` while
    the hub runs (a registration needs no restart)."""
    from tests.e2e.lti import register
    from tests.fakes.lms import FakeLMS

    fake = FakeLMS().start()
    fake.hub_url = hub.url
    done = register(hub.stack, fake)
    assert done.returncode == 0, done.stderr
    try:
        yield fake
    finally:
        fake.stop()
