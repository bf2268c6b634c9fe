"""The real platform, started once for the test session.

Embedded PostgreSQL and Redis (or DATABASE_URL / REDIS_URL when set), a migrated
template database, the API under uvicorn, Celery worker(s) and beat as subprocesses,
with the commands `ainative up` runs (tests.support.platform.Platform).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ainative.config import Settings
from ainative.db.engine import normalise_url
from ainative.runtime.devservices import EmbeddedPostgres, EmbeddedRedis, free_port
from tests.support.platform import REPO_ROOT, Platform, platform_settings, wait_http, wait_worker

__all__ = ["REPO_ROOT", "Services", "Stack", "start_services", "wait_http"]


def database_url_for(base_url: str, name: str) -> str:
    return (
        make_url(normalise_url(base_url)).set(database=name).render_as_string(hide_password=False)
    )


def admin_execute(base_url: str, *statements: str) -> None:
    """Run statements outside a transaction on the maintenance database."""
    engine = create_engine(
        database_url_for(base_url, "postgres"), isolation_level="AUTOCOMMIT", poolclass=None
    )
    try:
        with engine.connect() as conn:
            for stmt in statements:
                conn.execute(text(stmt))
    finally:
        engine.dispose()


@dataclass
class Services:
    """Database and Redis for the session; tests get their own databases from the template."""

    base_url: str
    redis_url: str
    template: str
    output_dir: Path
    started: list[object] = field(default_factory=list)

    def create_database(self, prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        admin_execute(self.base_url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return database_url_for(self.base_url, name)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        admin_execute(self.base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        for server in reversed(self.started):
            server.stop()  # type: ignore[attr-defined]
            if isinstance(server, EmbeddedPostgres):
                shutil.rmtree(server.data_dir, ignore_errors=True)


def start_services(output_dir: Path) -> Services:
    """Embedded servers unless DATABASE_URL / REDIS_URL point at real ones."""
    from ainative.db.migrate import upgrade

    output_dir.mkdir(parents=True, exist_ok=True)
    started: list[object] = []
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url:
        pg = EmbeddedPostgres(Path(f"/tmp/ainative-test-pg-{os.getpid()}"))
        base_url = pg.start()
        started.append(pg)
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        rd = EmbeddedRedis(output_dir / "redis")
        redis_url = rd.start()
        started.append(rd)
    template = f"ainative_tpl_{os.getpid()}"
    admin_execute(base_url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    admin_execute(base_url, f'CREATE DATABASE "{template}"')
    upgrade(database_url_for(base_url, template))
    return Services(base_url, redis_url, template, output_dir, started)


@dataclass
class Stack:
    """The API, Celery worker(s) and beat as real subprocesses on one database."""

    services: Services
    env: dict[str, str]
    log_dir: Path
    api_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    def settings(self) -> Settings:
        return platform_settings(self.env)

    def spawn(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None):
        """Run argv in its own process group with the stack's env, logging to log_dir/name.log."""
        log = open(self.log_dir / f"{name}.log", "ab")
        env = {**os.environ, **self.env, "AINATIVE_PROCESS": name, **(extra_env or {})}
        proc = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = proc
        return proc

    def platform(
        self, workers: tuple[str, ...] = ("worker",), beat: bool = True, **args: tuple[str, ...]
    ) -> Platform:
        """The platform's processes on this stack's port, env and log folder; `args` are
        Platform's api_args / worker_args."""
        schedule = self.log_dir / "beat-schedule" if beat else None
        return Platform(self.settings(), self.api_port, workers, schedule, **args)

    def start_platform(
        self, workers: tuple[str, ...] = ("worker",), beat: bool = True, **args: tuple[str, ...]
    ) -> Platform:
        """Spawn the API, the workers and beat together, then wait until all are ready."""
        platform = self.platform(workers, beat, **args)
        procs = {name: self.spawn(name, argv) for name, argv in platform.commands().items()}
        platform.wait_ready(procs)
        return platform

    def start_api(self) -> None:
        proc = self.spawn("api", self.platform().api())
        wait_http(f"{self.api_url}/api/v1/health", process=proc)

    def start_worker(
        self,
        name: str = "worker",
        extra_env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ):
        """Start a Celery worker and wait until it answers a ping."""
        proc = self.spawn(name, self.platform(worker_args=args).worker(name), extra_env)
        wait_worker(self.settings(), name, 60.0, proc)
        return proc

    def kill(self, name: str, sig: int = signal.SIGKILL, grace: float = 90.0) -> None:
        """Signal a process's whole group (a worker and its pool) and reap it; a group
        still alive after `grace` seconds is killed. (A hub stopping while a slow spawn was
        still importing took over 30 s on a fresh clone, and the teardown failed.)"""
        proc = self.processes.pop(name)
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)

    def stop(self) -> None:
        for name in list(self.processes):
            proc = self.processes[name]
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name in list(self.processes):
            proc = self.processes.pop(name)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
