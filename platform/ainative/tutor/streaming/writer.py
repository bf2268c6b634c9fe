"""The worker's side of the answer streams: every interaction's entries through one writer.

A worker process streams a hundred answers at once, each a delta every few tens of
milliseconds. An XADD per delta from each task thread would cost a Redis round trip and
a GIL hand-over per word, and queue the next questions behind the text of the current
ones. So a publisher only notes its entries, and one thread per process
(`StreamWriter`) sends everything pending in one pipeline:

- Pending entries of one interaction fold into at most one reset or delta, then its
  end (tutor.streaming.entries's entry kinds): nobody has read them yet, so nothing is lost.
- What must be seen at once goes out at once: a stream's first text (the time to
  first token), a rewrite and an end. A stream's later text waits until
  FLUSH_GAP_SECONDS after its previous send, rounded up to a FLUSH_TICK_SECONDS tick,
  so a stream is written about 10 times a second at most and streams due together
  leave in one pipeline: the API's one reader (tutor.streaming.hub) wakes per send, not
  per stream.
- `end` returns once its entry is written (or the wait timed out): when the task
  returns, readers can find the whole stream.

Redis trouble never fails an answer: a failed send is logged once and dropped, and
readers fall back to the stored row (tutor.streaming.relay).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

import redis
from redis.exceptions import RedisError

from ainative.tutor.stream_guard import Release
from ainative.tutor.streaming.entries import stream_key

log = logging.getLogger(__name__)
FLUSH_GAP_SECONDS = 0.1
FLUSH_TICK_SECONDS = 0.05
END_WAIT_SECONDS = 2.0
INFINITY = float("inf")


def _on_tick(when: float) -> float:
    """`when`, rounded up to the next FLUSH_TICK_SECONDS of the monotonic clock."""
    return math.ceil(when / FLUSH_TICK_SECONDS) * FLUSH_TICK_SECONDS


@dataclass
class _Pending:
    """What one stream has waiting: a reset (replacing the shown text) or more text, an
    end; when it may be sent, and who waits for it to be."""

    due: float
    text: str = ""
    reset: bool = False
    end: bool = False
    sent: threading.Event | None = None


class StreamWriter:
    """One daemon thread writing the pending entries of every stream of this process."""

    def __init__(self, client: redis.Redis, ttl_seconds: int, gap: float = FLUSH_GAP_SECONDS):
        self.client, self.ttl, self.gap = client, ttl_seconds, gap
        self._wake = threading.Condition()  # the writer thread waits on it
        self._pending: dict[str, _Pending] = {}
        self._last_sent: dict[str, float] = {}  # streams whose text readers have: when
        self._wake_at = INFINITY  # when the writer thread means to look again
        self._failing = False
        self._thread = threading.Thread(target=self._run, name="stream-writer", daemon=True)
        self._thread.start()

    def add(
        self, key: str, release: Release | None = None, *, end: bool = False
    ) -> threading.Event:
        """Note a release (and/or the end) of stream `key`; the event is set once sent."""
        now = time.monotonic()
        with self._wake:
            last = self._last_sent.get(key)
            pending = self._pending.get(key)
            if pending is None:  # streams due together leave together: on a tick
                later = now if last is None else max(now, last + self.gap)
                pending = self._pending[key] = _Pending(due=_on_tick(later))
            if release is not None and release.reset:
                pending.text, pending.reset = release.text, True
            elif release is not None:
                pending.text += release.text
            pending.end = pending.end or end
            if pending.end or (pending.text and (pending.reset or last is None)):
                pending.due = now  # urgent: an end, a first text, a rewrite
            if pending.sent is None:
                pending.sent = threading.Event()
            if pending.due < self._wake_at:
                self._wake_at = pending.due
                self._wake.notify()
            return pending.sent

    def _take(self) -> dict[str, _Pending]:
        """Wait until some stream is due, then take every stream that is."""
        with self._wake:
            while True:
                now = time.monotonic()
                due = {k: p for k, p in self._pending.items() if p.due <= now}
                if due:
                    break
                self._wake_at = min((p.due for p in self._pending.values()), default=INFINITY)
                self._wake.wait(None if self._wake_at == INFINITY else self._wake_at - now)
            self._wake_at = INFINITY  # sending: whatever is added now is looked at after
            for key, pending in due.items():
                del self._pending[key]
                if pending.text and not pending.end:
                    self._last_sent[key] = now
                else:  # ended, or reset to nothing: the next text is a first text again
                    self._last_sent.pop(key, None)
            return due

    def _run(self) -> None:
        while True:
            taken = self._take()
            try:
                self._send(taken)
            except Exception:  # never let the thread die: every later end() would wait
                log.exception("answer stream writer failed; %d streams dropped", len(taken))
            for pending in taken.values():
                if pending.sent is not None:
                    pending.sent.set()

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
        self.writer.add(self.key, end=True).wait(END_WAIT_SECONDS)
