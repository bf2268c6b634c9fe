"""What a process opens at start, so the first burst of questions after a start or a
restart does not pay for it on top of its own work: all the worker's task threads (the
pool would otherwise start one per task of the burst, the consumer waiting for each) and
the pooled database connections (each a Postgres backend to start).
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

PRESTART_WAIT_SECONDS = 2.0


def fill_pool(engine: Engine, count: int) -> int:
    """Open up to `count` pooled connections now; returns how many opened. A database
    that is down is left to the health check: the first failure stops the filling."""
    held: list[Connection] = []
    try:
        for _ in range(count):
            held.append(engine.connect())
    except SQLAlchemyError:
        pass
    finally:
        for conn in held:
            conn.close()
    return len(held)


def start_threads(
    executor: Executor, count: int, wait: float = PRESTART_WAIT_SECONDS
) -> list[Future[None]]:
    """Make `executor` start `count` threads now: each job waits for all the others, so
    none can reuse another's thread. A task that takes a thread meanwhile only means
    the jobs give up after `wait` seconds, keeping the threads started so far."""
    barrier = threading.Barrier(count)

    def meet() -> None:
        try:
            barrier.wait(wait)
        except threading.BrokenBarrierError:
            pass

    return [executor.submit(meet) for _ in range(count)]
