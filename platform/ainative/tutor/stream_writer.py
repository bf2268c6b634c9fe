"""The worker's side of the answer streams: every interaction's entries through one writer.

A worker process streams a hundred answers at once, each a delta every few tens of
milliseconds. An XADD per delta from each task thread cost a Redis round trip and a
GIL hand-over per word, and under a lab's load that queued the next questions behind
the text of the current ones. So a publisher only notes its entries, and one thread
per process (`StreamWriter`) sends everything pending in one pipeline:

- Pending entries of one interaction fold into at most one reset or delta, then its
  end (tutor.stream's entry kinds): nobody has read them yet, so nothing is lost.
- What must be seen at once goes out at once: a stream's first text (the time to
  first token), a reset and an end. Later deltas wait until FLUSH_GAP_SECONDS after
  the previous send, so a stream is written about 25 times a second at most.
- `end` returns once its entry is written (or the wait timed out): when the task
  returns, readers can find the whole stream.

Redis trouble never fails an answer: a failed send is logged once and dropped, and
readers fall back to the stored row (tutor.relay).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import redis
from redis.exceptions import RedisError

from ainative.tutor.stream import stream_key
from ainative.tutor.stream_guard import Release

log = logging.getLogger(__name__)
FLUSH_GAP_SECONDS = 0.04
END_WAIT_SECONDS = 2.0


@dataclass
class _Pending:
    """What one stream has waiting: a reset (replacing the shown text) or more text, an end."""

    text: str = ""
    reset: bool = False
    end: bool = False


class StreamWriter:
    """One daemon thread writing every pending stream entry of this process to Redis."""

    def __init__(self, client: redis.Redis, ttl_seconds: int, gap: float = FLUSH_GAP_SECONDS):
        self.client, self.ttl, self.gap = client, ttl_seconds, gap
        lock = threading.Lock()
        self._wake = threading.Condition(lock)  # the writer thread waits on it
        self._written = threading.Condition(lock)  # `end` waits on it
        self._pending: dict[str, _Pending] = {}
        self._shown: set[str] = set()  # streams whose text readers already have
        self._urgent = False
        self._added = self._sent = 0  # sequence numbers: entries noted / written (or dropped)
        self._not_before = 0.0  # monotonic time before which later deltas wait
        self._failing = False
        self._thread = threading.Thread(target=self._run, name="stream-writer", daemon=True)
        self._thread.start()

    def add(self, key: str, release: Release | None = None, *, end: bool = False) -> int:
        """Note a release (and/or the end) of stream `key`; returns its sequence number."""
        with self._wake:
            idle = not self._pending
            pending = self._pending.setdefault(key, _Pending())
            if release is not None and release.reset:
                pending.text, pending.reset = release.text, True
                self._shown.discard(key)
            elif release is not None:
                pending.text += release.text
            pending.end = pending.end or end
            urgent = pending.reset or pending.end or key not in self._shown
            self._added += 1
            if (urgent and not self._urgent) or idle:
                self._urgent = self._urgent or urgent
                self._wake.notify()
            return self._added

    def wait_sent(self, sequence: int, timeout: float = END_WAIT_SECONDS) -> bool:
        """Block until the entry numbered `sequence` was written (or dropped)."""
        with self._written:
            return self._written.wait_for(lambda: self._sent >= sequence, timeout)

    def _take(self) -> tuple[dict[str, _Pending], int]:
        """Wait until something is due (urgent, or pending past the gap); take it all."""
        with self._wake:
            while not (self._pending and (self._urgent or time.monotonic() >= self._not_before)):
                wait = self._not_before - time.monotonic() if self._pending else None
                self._wake.wait(wait)
            taken, self._pending, self._urgent = self._pending, {}, False
            for key, pending in taken.items():
                if pending.end:
                    self._shown.discard(key)
                elif pending.text:
                    self._shown.add(key)
            return taken, self._added

    def _run(self) -> None:
        while True:
            taken, sequence = self._take()
            self._not_before = time.monotonic() + self.gap
            try:
                self._send(taken)
            except Exception:  # never let the thread die: every later end() would wait
                log.exception("answer stream writer failed; %d streams dropped", len(taken))
            with self._written:
                self._sent = sequence
                self._written.notify_all()

    def _send(self, taken: dict[str, _Pending]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for key, pending in taken.items():
            if pending.reset:
                pipe.xadd(key, {"type": "reset", "text": pending.text})
            elif pending.text:
                pipe.xadd(key, {"type": "delta", "text": pending.text})
            if pending.end:
                pipe.xadd(key, {"type": "end", "text": ""})
            if pending.reset or pending.end:
                pipe.expire(key, self.ttl)
        try:
            pipe.execute()
        except RedisError as exc:
            if not self._failing:
                log.warning("answer streams unavailable, %d dropped: %s", len(taken), exc)
            self._failing = True
            return
        if self._failing:
            log.info("answer streams available again")
        self._failing = False


class StreamPublisher:
    """The writer of one interaction's stream, as the answering pipeline sees it."""

    def __init__(self, writer: StreamWriter, interaction_id: str) -> None:
        self.writer = writer
        self.interaction_id = interaction_id
        self.key = stream_key(interaction_id)

    def publish(self, release: Release | None) -> None:
        """Send one release of the stream guard (None: nothing to send). Never blocks."""
        if release is not None and (release.reset or release.text):
            self.writer.add(self.key, release)

    def end(self) -> None:
        """The row is stored: tell readers to fetch it, and wait until they can."""
        self.writer.wait_sent(self.writer.add(self.key, end=True))
