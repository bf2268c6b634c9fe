"""Leases on the interactions this worker process is answering: the sweeper leaves them alone.

The sweeper re-enqueues a running row whose last activity is older than
SWEEPER_STALE_SECONDS. An attempt that is only slow (an LLM call timing out and
retried, a 429's Retry-After honoured) can outlast that; a second attempt beside it
would double the LLM calls and call sooner than the server's Retry-After. So a thread
of each worker process renews the rows of its running attempts every third of the
stale time. A killed or stopped process renews nothing, and its rows are reclaimed by
the sweeper; an attempt older than its worst case
(`max_attempt_seconds`) is no longer renewed, since it is stuck rather than slow.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ainative.config import Settings, get_settings
from ainative.db.engine import autocommit
from ainative.tutor import trace

log = logging.getLogger(__name__)
_lock = threading.Lock()
_running: dict[str, float] = {}  # interaction id -> when its attempt started (monotonic)
_keeper: dict[int, threading.Thread] = {}  # pid -> its renewing thread


def max_attempt_seconds(settings: Settings) -> float:
    """The longest an attempt may honestly take: every call timing out, with every retry
    and the longest Retry-After the SDK honours (60 s) between them."""
    calls = (settings.task_max_retries + 1) * (settings.llm_max_retries + 1)
    return calls * (settings.llm_timeout_seconds + 60.0)


@contextmanager
def held(interaction_id: str) -> Iterator[None]:
    """Keep `interaction_id`'s row fresh for the sweeper while the block runs."""
    with _lock:
        _running[interaction_id] = time.monotonic()
        keeper = _keeper.get(os.getpid())
        if keeper is None or not keeper.is_alive():  # the first attempt, or a forked child
            thread = threading.Thread(target=_renew_forever, daemon=True, name="lease")
            _keeper[os.getpid()] = thread
            thread.start()
    try:
        yield
    finally:
        with _lock:
            _running.pop(interaction_id, None)


def _renew_forever() -> None:
    settings = get_settings()
    every = settings.sweeper_stale_seconds / 3
    limit = max_attempt_seconds(settings)
    while True:
        time.sleep(every)
        now = time.monotonic()
        with _lock:
            ids = [i for i, since in _running.items() if now - since < limit]
        if not ids:
            continue
        try:
            with autocommit() as conn:
                trace.renew(conn, ids)
        except Exception as exc:  # the database may be down: the sweeper then waits too
            log.warning("could not renew %d leases: %s", len(ids), exc)
