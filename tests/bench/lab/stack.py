"""The platform under load: the processes `ainative up` runs, against a fake LLM process.

PostgreSQL and Redis come from ainative.runtime.devservices.ensure_services (embedded unless
DATABASE_URL / REDIS_URL are set); the harness migrates a database of its own on that
server and drops it afterwards. The API, the Celery worker(s) and beat are started
with tests.support.platform's commands through tests.stack.Stack, with the
environment `ainative up` gives them, quotas and rate limits raised out of the way,
then the caller's --env overrides. The fake LLM is a separate process so its CPU is
counted apart from the harness's.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ainative.config import Settings
from tests.bench.lab import procstats
from tests.stack import REPO_ROOT, Services, Stack, admin_execute, database_url_for
from tests.support.eventually import eventually

UNLIMITED = "1000000"
ABANDON_SQL = """
UPDATE interactions SET status = 'error', error = 'abandoned by the load harness',
       completed_at = now()
WHERE status IN ('queued', 'running')
"""


def platform_env(
    database_url: str, redis_url: str, fake_url: str, data_dir: Path
) -> dict[str, str]:
    """What `ainative up` exports to its children, plus what a load test needs out of the way."""
    return {
        # as `ainative up`
        "ENVIRONMENT": "development",
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_FORMAT": "text",
        "FLOWER_URL_PREFIX": "services/flower",
        "PYTHONUNBUFFERED": "1",
        "JWT_SECRET_KEY": secrets.token_hex(32),
        # the fake LLM through the real openai SDK
        "LLM_PROVIDER": "openai",
        "OPENAI_BASE_URL": fake_url,
        "OPENAI_API_KEY": "sk-load-harness",
        # limits that would measure themselves instead of the platform
        "DEFAULT_QUOTA_PER_HOUR": UNLIMITED,
        "LOGIN_RATE_LIMIT": UNLIMITED,
        "REGISTER_RATE_LIMIT": UNLIMITED,
        "JWT_ACCESS_TOKEN_EXPIRE_MINUTES": "720",
        # several workers on one machine must not fight over port 9808
        "WORKER_METRICS_PORT": "0",
    }


@dataclass
class FakeLLM:
    """`python -m tests.fakes.openai_server` as a child process."""

    log_dir: Path
    process: subprocess.Popen[str] | None = None
    base_url: str = ""

    @property
    def root_url(self) -> str:
        return self.base_url.removesuffix("/v1")

    def start(self) -> FakeLLM:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.openai_server", "--port", "0", "--no-record"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=open(self.log_dir / "fake_llm.log", "ab"),  # noqa: SIM115
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "http://" not in line:
            raise RuntimeError(f"the fake LLM did not start; see {self.log_dir}/fake_llm.log")
        self.base_url = line.rsplit(" ", 1)[-1].strip()
        return self

    def control(self, **settings: Any) -> None:
        httpx.post(f"{self.root_url}/_control", json=settings, timeout=10).raise_for_status()

    def set_latency(self, latency: float) -> None:
        """Answer in `latency` seconds, no failures, no request log (it would only grow)."""
        self.control(latency=latency, chunk_delay=0.0, fail_next=0, record=False)

    def stats(self) -> dict[str, int]:
        return dict(httpx.get(f"{self.root_url}/_stats", timeout=10).json())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@dataclass
class LabStack:
    """Services, a database of the harness's own, the fake LLM and the platform processes."""

    workdir: Path
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    started: list[Any] = field(default_factory=list)
    base_url: str = ""
    database_url: str = ""
    fake: FakeLLM | None = None
    stack: Stack | None = None

    def start(self) -> LabStack:
        from ainative.db.migrate import upgrade
        from ainative.runtime.devservices import ensure_services

        log_dir = self.log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.started, env = ensure_services(self.workdir / "services")
        self.base_url = os.environ.get("DATABASE_URL") or env["DATABASE_URL"]
        redis_url = os.environ.get("REDIS_URL") or env["REDIS_URL"]
        name = f"ainative_lab_{uuid.uuid4().hex[:8]}"
        admin_execute(self.base_url, f'CREATE DATABASE "{name}"')
        self.database_url = database_url_for(self.base_url, name)
        upgrade(self.database_url)
        self.fake = FakeLLM(log_dir).start()
        stack_env = {
            **platform_env(self.database_url, redis_url, self.fake.base_url, self.workdir / "data"),
            **self.extra_env,
        }
        services = Services(self.base_url, redis_url, "", self.workdir, [])
        self.stack = st = Stack(services=services, env=stack_env, log_dir=log_dir)
        st.env["API_PORT"] = str(st.api_port)
        self.start_platform()
        return self

    def start_platform(self) -> None:
        """The API, the worker(s) and beat; spawned together, then waited for."""
        assert self.stack is not None
        names = ["worker"] if self.workers == 1 else [f"worker{i + 1}" for i in range(self.workers)]
        self.stack.start_platform(tuple(names))

    def restart_platform(self) -> None:
        """Kill the API, workers and beat and start them afresh (an API that is stuck)."""
        assert self.stack is not None
        for name in list(self.stack.processes):
            self.stack.kill(name, signal.SIGKILL)
        self.start_platform()

    @property
    def settings(self) -> Settings:
        assert self.stack is not None
        return self.stack.settings()

    @property
    def api_url(self) -> str:
        assert self.stack is not None
        return self.stack.api_url

    def roots(self) -> dict[str, int]:
        """The process trees to account for, by name."""
        assert self.stack is not None and self.fake is not None and self.fake.process is not None
        roots = {name: proc.pid for name, proc in self.stack.processes.items()}
        pg = procstats.postgres_pid(self.database_url)
        if pg is not None:
            roots["postgres"] = pg
        rd = procstats.redis_pid(self.settings.redis_url)
        if rd is not None:
            roots["redis"] = rd
        roots["fake_llm"] = self.fake.process.pid
        roots["harness"] = os.getpid()
        return roots

    def settle(self, latency: float, timeout: float = 120.0) -> None:
        """Leave nothing of a scenario behind for the next: purge, abandon, drain.

        Unanswered questions are purged from the queue and marked error in the
        database (so the sweeper does not bring them back); then we wait until the
        fake LLM has had no call in flight for a moment.
        """
        from ainative.runtime.queue import make_celery

        app = make_celery(self.settings)
        try:
            app.control.purge()
        finally:
            app.close()
        engine = create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.begin() as conn:
                conn.execute(text(ABANDON_SQL))
        finally:
            engine.dispose()
        fake = self.fake
        assert fake is not None
        quiet_since: float | None = None

        def quiet_for_a_second() -> bool:
            nonlocal quiet_since
            if fake.stats()["in_flight"]:
                quiet_since = None
                return False
            quiet_since = quiet_since or time.monotonic()
            return time.monotonic() - quiet_since > 1.0

        eventually(quiet_for_a_second, latency + timeout, interval=0.1)

    def stop(self) -> None:
        # Workers are killed outright: a warm shutdown would wait for the idle scenario's
        # slow calls (or their retries) to end, and nothing of their work is kept.
        if self.stack is not None:
            for name in [n for n in self.stack.processes if n.startswith("worker")]:
                self.stack.kill(name, signal.SIGKILL)
            self.stack.stop()
        if self.fake is not None:
            self.fake.stop()
        if self.database_url:
            name = make_url(self.database_url).database or ""
            try:
                admin_execute(self.base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:  # the report matters more than the cleanup
                print(f"could not drop {name}: {exc}", file=sys.stderr)
        for server in reversed(self.started):
            server.stop()
