"""The platform as `ainative up` runs it, with servers of its own that faults can break.

PostgreSQL and Redis are embedded servers of the harness alone (ainative.runtime.devservices),
so restarting them touches no other test. Redis keeps an append-only file, like the
compose file's; a restart "without persistence" deletes its files before it starts
again, which is what a Redis without persistence finds after a crash. The API, two
workers and beat run under ainative.runtime.supervisor.Supervisor, the supervisor of
`ainative up`, in a thread: a worker killed by a fault is restarted by it, with its
back-off. The fake LLM is tests/bench/lab's child process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from ainative.config import Settings
from ainative.runtime.devservices import EmbeddedPostgres, EmbeddedRedis, free_port
from ainative.runtime.supervisor import Backoff, Supervisor
from tests.bench.lab.stack import FakeLLM, platform_env
from tests.stack import database_url_for
from tests.support.platform import Platform, platform_settings, wait_worker

WORKERS = ("worker1", "worker2")
# What makes recovery quick enough to measure in seconds (the defaults are minutes).
FAULT_ENV = {
    "SWEEPER_INTERVAL_SECONDS": "1",
    "SWEEPER_STALE_SECONDS": "8",
    "WORKER_HEARTBEAT_SECONDS": "1",
    "WORKER_CONCURRENCY": "50",
    "LLM_TIMEOUT_SECONDS": "3",
    "LLM_RETRY_BACKOFF_SECONDS": "0.5",
    "LOG_FORMAT": "json",
    "API_WORKERS": "1",
    "DB_POOL_SIZE": "10",
    "DB_MAX_OVERFLOW": "10",
}


@dataclass
class FaultStack:
    """Embedded PostgreSQL and Redis, the fake LLM, and the supervised platform."""

    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    pg: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    fake: FakeLLM | None = None
    supervisor: Supervisor | None = None
    env: dict[str, str] = field(default_factory=dict)
    api_port: int = field(default_factory=free_port)
    _thread: threading.Thread | None = None

    @property
    def log_dir(self) -> Path:
        return self.workdir / "logs"

    @property
    def platform_log(self) -> Path:
        return self.log_dir / "platform.log"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def settings(self) -> Settings:
        return platform_settings(self.env)

    def start(self) -> FaultStack:
        from ainative.db.migrate import upgrade

        shutil.rmtree(self.workdir, ignore_errors=True)
        self.log_dir.mkdir(parents=True)
        self.pg = EmbeddedPostgres(self.workdir / "postgres", database="faults")
        base_url = self.pg.start()
        self.redis = EmbeddedRedis(self.workdir / "redis", persist=True)
        redis_url = self.redis.start()
        database_url = database_url_for(base_url, "faults")
        upgrade(database_url)
        self.fake = FakeLLM(self.log_dir).start()
        self.env = {
            **platform_env(database_url, redis_url, self.fake.base_url, self.workdir / "data"),
            **FAULT_ENV,
            "API_PORT": str(self.api_port),
            **self.extra_env,
        }
        self._start_platform()
        return self

    @property
    def platform(self) -> Platform:
        return Platform(self.settings, self.api_port, WORKERS, self.workdir / "beat-schedule")

    def _start_platform(self) -> None:
        out = open(self.platform_log, "a", buffering=1)  # noqa: SIM115  (closed in stop)
        # `ainative up`'s supervisor; a shorter cap so repeated kills are not minutes apart.
        self.supervisor = sup = Supervisor(out, backoff=Backoff(initial=1.0, cap=8.0))
        base = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        for name, argv in self.platform.commands().items():
            sup.add(name, argv, env={**base, "AINATIVE_PROCESS": name})
        self._thread = threading.Thread(target=sup.run, name="supervisor", daemon=True)
        self._thread.start()
        self.platform.wait_ready()

    def wait_worker(self, name: str, timeout: float = 90.0) -> None:
        """Until the worker answers a ping (it consumes again)."""
        wait_worker(self.settings, name, timeout)

    # --- processes ------------------------------------------------------------------------

    def pid(self, name: str) -> int | None:
        """The running process of `name` (a child of this process), if any."""
        for child in psutil.Process().children():
            try:
                env_name = child.environ().get("AINATIVE_PROCESS")
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if env_name == name:
                return child.pid
        return None

    def signal(self, name: str, sig: int) -> bool:
        """Send `sig` to the process group of `name`; False when it is not running."""
        pid = self.pid(name)
        if pid is None:
            return False
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return False
        return True

    # --- services -------------------------------------------------------------------------

    def restart_redis(self, down: float, *, keep_data: bool) -> float:
        """SIGKILL Redis, stay down `down` s, start it on the same port; returns the time back.

        keep_data=False deletes its files first: a Redis without persistence.
        """
        assert self.redis is not None and self.redis.process is not None
        self.redis.process.kill()
        self.redis.process.wait(10)
        if not keep_data:
            for path in self.redis.data_dir.iterdir():
                if path.name != "redis.log":
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
        time.sleep(down)
        self.redis = EmbeddedRedis(self.redis.data_dir, port=self.redis.port, persist=True)
        self.redis.start()
        return time.time()

    def restart_postgres(self, down: float) -> float:
        """Stop PostgreSQL at once (a crash), stay down `down` s, start it; returns when back."""
        from pgserver import _commands

        assert self.pg is not None and self.pg.server is not None
        server = self.pg.server
        info = server.get_postmaster_info()
        user = server.system_user
        _commands.pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=server.pgdata, user=user)
        time.sleep(down)
        args = ["-w", "-o", '-h ""', "-o", f"-k {info.socket_dir}", "-l", str(server.log), "start"]
        _commands.pg_ctl(args, pgdata=server.pgdata, user=user)
        return time.time()

    # --- reading the outcome ---------------------------------------------------------------

    def rows(self, tag: str) -> list[dict[str, Any]]:
        """Every interaction whose question carries `tag`."""
        engine = create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                result = conn.execute(
                    text(
                        "SELECT CAST(id AS text) AS id, prompt, status, answer, error, attempts, "
                        "EXTRACT(EPOCH FROM completed_at) AS completed FROM interactions "
                        "WHERE prompt LIKE :pattern"
                    ),
                    {"pattern": f"%[{tag} %"},
                )
                return [dict(r) for r in result.mappings()]
        finally:
            engine.dispose()

    def final_writes(self) -> dict[str, list[str]]:
        """Final writes per interaction id, from the worker's log lines (`final_write`)."""
        writes: dict[str, list[str]] = defaultdict(list)
        with open(self.platform_log, errors="replace") as log:
            for line in log:
                _, sep, rest = line.partition(" | ")
                if not sep or '"final_write"' not in rest:
                    continue
                try:
                    entry = json.loads(rest)
                except ValueError:
                    continue
                if entry.get("interaction_id"):
                    writes[str(entry["interaction_id"])].append(str(entry["final_write"]))
        return writes

    def stop(self) -> None:
        if self.supervisor is not None:
            for name in WORKERS:  # a stopped worker would never see SIGTERM
                self.signal(name, signal.SIGCONT)
                self.signal(name, signal.SIGKILL)  # nothing of their work is kept
            self.supervisor.stop()
            if self._thread is not None:
                self._thread.join(60)
        if self.fake is not None:
            self.fake.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.pg is not None:
            self.pg.stop()
        shutil.rmtree(self.workdir / "postgres", ignore_errors=True)


def new_tag(scenario: str) -> str:
    """A tag unique to one run of a scenario; every question it asks carries it."""
    return f"{scenario}-{uuid.uuid4().hex[:6]}"
