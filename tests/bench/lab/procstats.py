"""CPU seconds, peak memory and database connections of the platform's processes.

Each named process counts with its whole tree (uvicorn's worker children, a Celery
pool's children, PostgreSQL's backends): CPU is user + system of every live process
in the tree plus what its exited children left in their parent's counters, so a
backend that disconnected during the scenario still counts. RSS is summed over the
tree (PostgreSQL's shared buffers count once per backend that touched them, so its
figure is an upper bound). A sampler thread reads RSS and pg_stat_activity every
0.2 s on a connection of its own.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import psutil  # type: ignore[import-untyped]  # no stubs; types-psutil is not a dependency
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

SAMPLE_SECONDS = 0.2
CONNECTIONS_SQL = """
SELECT count(*), count(*) FILTER (WHERE state IS DISTINCT FROM 'idle')
FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for proc in psutil.process_iter(["pid", "ppid"]):
        children[proc.info["ppid"]].append(proc.info["pid"])
    return children


def _tree(root: int, children: dict[int, list[int]], others: frozenset[int]) -> list[int]:
    """The root and its descendants, except subtrees that are named roots of their own
    (the harness is the parent of every process it started)."""
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        stack.extend(c for c in children.get(pid, ()) if c not in others)
    return pids


def _cpu(pid: int, reaped: bool) -> float:
    t = psutil.Process(pid).cpu_times()
    return float(t.user + t.system + (t.children_user + t.children_system if reaped else 0.0))


def cpu_snapshot(roots: dict[str, int]) -> dict[str, float]:
    """User + system seconds of each named tree, with what its exited children left.

    A root's reaped-children counters are left out when it has named roots among its
    children: the harness would otherwise count a platform process it reaped.
    """
    children, others = _children_map(), frozenset(roots.values())
    totals = {}
    for name, root in roots.items():
        total = 0.0
        for pid in _tree(root, children, others):
            reaped = not any(c in others for c in children.get(pid, ()))
            with contextlib.suppress(psutil.Error):
                total += _cpu(pid, reaped)
        totals[name] = total
    return totals


def _rss(roots: dict[str, int]) -> dict[str, int]:
    children, others = _children_map(), frozenset(roots.values())
    totals = {}
    for name, root in roots.items():
        total = 0
        for pid in _tree(root, children, others):
            with contextlib.suppress(psutil.Error):
                total += psutil.Process(pid).memory_info().rss
        totals[name] = total
    return totals


@dataclass
class Sampler:
    """Peak RSS per named process tree and peak DB connections, sampled in a thread."""

    roots: dict[str, int]
    database_url: str
    peak_rss: dict[str, int] = field(default_factory=dict)
    max_connections: int = 0
    max_active_connections: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, name="lab-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        engine = create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                while True:
                    self._sample(conn)
                    if self._stop.wait(SAMPLE_SECONDS):
                        break
        finally:
            engine.dispose()

    def _sample(self, conn: Connection) -> None:
        for name, rss in _rss(self.roots).items():
            self.peak_rss[name] = max(self.peak_rss.get(name, 0), rss)
        total, active = conn.execute(text(CONNECTIONS_SQL)).one()
        self.max_connections = max(self.max_connections, int(total))
        self.max_active_connections = max(self.max_active_connections, int(active))
        self.samples += 1


def postgres_pid(database_url: str) -> int | None:
    """The postmaster's pid when the server runs on this machine (postmaster.pid)."""
    from pathlib import Path

    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            data_dir = conn.execute(text("SHOW data_directory")).scalar_one()
        pid = int((Path(data_dir) / "postmaster.pid").read_text().split()[0])
    except Exception:  # not ours to read (remote server, no privilege): leave it out
        return None
    finally:
        engine.dispose()
    return pid if _named(pid, "postgres") else None


def redis_pid(redis_url: str) -> int | None:
    """redis-server's pid when it runs on this machine."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url)
        pid = int(client.info("server")["process_id"])
        client.close()
    except Exception:  # unreachable or INFO refused: leave it out
        return None
    return pid if _named(pid, "redis") else None


def _named(pid: int, needle: str) -> bool:
    try:
        return needle in psutil.Process(pid).name()
    except psutil.Error:
        return False


def wait_quiet(
    roots: dict[str, int], cpu_s: float = 0.1, interval: float = 1.0, timeout: float = 60.0
) -> bool:
    """Wait until the named processes together use under `cpu_s` CPU seconds per interval.

    Start-up work (imports, beat's first tick, connection pools) then stays out of the
    first scenario's figures. False if they never quieted down within `timeout`.
    """
    from tests.support.eventually import eventually

    others = {k: v for k, v in roots.items() if k != "harness"}
    last = sum(cpu_snapshot(others).values())

    def quiet_for_an_interval() -> bool:
        nonlocal last
        previous, last = last, sum(cpu_snapshot(others).values())
        return last - previous < cpu_s

    time.sleep(interval)
    return eventually(quiet_for_an_interval, timeout, interval=interval)
