"""The platform's processes as `ainative up` runs them, for every harness of the tests.

`Platform` names the processes (the API, the Celery workers, beat) and builds their
commands with ainative.runtime.processes; `wait_ready` waits until the API answers and
every worker consumes. tests/stack.py spawns the commands itself, tests/faults hands
them to `ainative up`'s supervisor, tests/bench/lab and test_metrics ask tests/stack.py
for more workers or other arguments.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from ainative.config import Settings
from ainative.runtime.processes import api_command, beat_command, worker_command
from tests.support.eventually import eventually

REPO_ROOT = Path(__file__).resolve().parents[2]


def platform_settings(env: Mapping[str, str]) -> Settings:
    """The settings the platform's processes read from `env`."""
    return Settings(**{k.lower(): v for k, v in env.items() if k.isupper()})


@dataclass(frozen=True)
class Platform:
    """The API on `api_port`, the named workers and (with a schedule file) beat."""

    settings: Settings
    api_port: int
    workers: tuple[str, ...] = ("worker",)
    beat_schedule: Path | None = None
    api_args: tuple[str, ...] = ()
    worker_args: tuple[str, ...] = ()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def api(self) -> list[str]:
        return api_command(self.settings, port=self.api_port) + list(self.api_args)

    def worker(self, name: str) -> list[str]:
        return worker_command(self.settings, name=name) + list(self.worker_args)

    def commands(self) -> dict[str, list[str]]:
        """Every process's command, by process name."""
        commands = {"api": self.api()} | {name: self.worker(name) for name in self.workers}
        if self.beat_schedule is not None:
            commands["beat"] = beat_command(str(self.beat_schedule))
        return commands

    def wait_ready(
        self, processes: Mapping[str, subprocess.Popen] | None = None, timeout: float = 90.0
    ) -> None:
        """Until the API answers and each worker answers a ping (`processes`, when given,
        must not exit meanwhile)."""
        processes = processes or {}
        wait_http(f"{self.api_url}/api/v1/health", timeout, processes.get("api"))
        for name in self.workers:
            wait_worker(self.settings, name, timeout, processes.get(name))


def _alive(process: subprocess.Popen | None, what: str) -> None:
    if process is not None and process.poll() is not None:
        raise RuntimeError(f"{what} exited with {process.returncode}")


def wait_http(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    """Until `url` answers below 500; `process` (its server) must not exit meanwhile."""

    def answers() -> bool:
        _alive(process, f"the process behind {url}")
        return httpx.get(url, timeout=2).status_code < 500

    if not eventually(answers, timeout, ignore=(httpx.HTTPError,)):
        raise TimeoutError(f"{url} did not answer within {timeout} s")


def wait_worker(
    settings: Settings, name: str, timeout: float = 90.0, process: subprocess.Popen | None = None
) -> None:
    """Until the Celery worker `name` answers a ping (it consumes); Redis may be coming back."""
    from ainative.runtime.queue import make_celery

    app = make_celery(settings)

    def answers() -> bool:
        _alive(process, f"worker {name}")
        try:
            replies = app.control.ping(timeout=0.5) or []
        except Exception:  # Redis may be coming back
            return False
        return any(name + "@" in next(iter(r)) for r in replies)

    try:
        if not eventually(answers, timeout, interval=0.3):
            raise TimeoutError(f"worker {name} did not answer a ping within {timeout} s")
    finally:
        app.close()
