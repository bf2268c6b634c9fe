"""Warming up a process: every thread of a pool started before the first burst."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ainative.runtime.warmup import start_threads


def test_every_thread_of_the_pool_is_started() -> None:
    with ThreadPoolExecutor(max_workers=12) as executor:
        start_threads(executor, 12)
        seen: set[str] = set()
        lock = threading.Lock()

        def note() -> None:
            with lock:
                seen.add(threading.current_thread().name)
            time.sleep(0.05)  # keep the thread busy so the next job takes another

        for f in [executor.submit(note) for _ in range(12)]:
            f.result(timeout=30)
    assert len(seen) == 12  # twelve threads existed, none had to be started on demand


def test_a_thread_taken_meanwhile_only_ends_the_wait() -> None:
    with ThreadPoolExecutor(max_workers=4) as executor:
        busy = threading.Event()
        taken = executor.submit(busy.wait, 60)  # a task holds one of the four threads
        jobs = start_threads(executor, 4, wait=0.2)  # so the fourth job cannot start
        done_early = [job.result(timeout=60) for job in jobs[:3]]  # they gave up waiting
        busy.set()
        assert taken.result(timeout=60) is True
        jobs[3].result(timeout=60)  # and the last one ran once the task let go
    assert done_early == [None, None, None]
