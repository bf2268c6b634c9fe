"""The API's side of the answer streams: one XREAD for every stream this process relays.

A relay per SSE connection reading its own stream would cost an XREAD round trip per
entry per student. Instead one `StreamHub` task per API process reads every subscribed
stream in one blocking XREAD and hands each relay the entries of its own interaction
(an inbox, an asyncio queue).

A stream is read from the position its first subscriber asked for (its Last-Event-ID,
or the start), so entries written before the hub picked the key up are not lost; a
second subscriber of a stream already read catches up with a read of its own
(tutor.streaming.relay). The hub blocks for at most BLOCK_MS, so a new subscription joins the
read within that; answers take far longer to their first token. While Redis is down
the hub retries every second and relays fall back to the stored row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ainative.tutor.streaming.entries import StreamEntry, entry_from_fields, stream_key

log = logging.getLogger(__name__)
BLOCK_MS = 50
RETRY_SECONDS = 1.0
COUNT = 200  # entries per stream per read; an answer's stream holds far fewer

Inbox = asyncio.Queue[list[StreamEntry]]


class StreamHub:
    """Subscriptions to answer streams, served by one reading task."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client  # must decode responses
        self._inboxes: dict[str, set[Inbox]] = {}
        self._positions: dict[str, str] = {}  # stream key -> last id read
        self._subscribed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failing = False  # logged once per outage, not every retry

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="stream-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5)

    @property
    def reading(self) -> bool:
        return self._task is not None and not self._task.done()

    def tracks(self, interaction_id: str) -> bool:
        """Whether the hub already reads this stream (a new subscriber must catch up)."""
        return stream_key(interaction_id) in self._positions

    @contextlib.contextmanager
    def subscribe(self, interaction_id: str, after: str) -> Iterator[Inbox]:
        """An inbox receiving the entries of `interaction_id`'s stream as they are read.

        A stream new to the hub is read from `after`; otherwise from where the hub is.
        """
        key = stream_key(interaction_id)
        inbox: Inbox = asyncio.Queue()
        self._inboxes.setdefault(key, set()).add(inbox)
        self._positions.setdefault(key, after)
        self._subscribed.set()
        try:
            yield inbox
        finally:
            inboxes = self._inboxes.get(key)
            if inboxes is not None:
                inboxes.discard(inbox)
                if not inboxes:
                    del self._inboxes[key]
                    self._positions.pop(key, None)

    async def _run(self) -> None:
        while True:
            if not self._positions:
                self._subscribed.clear()
                await self._subscribed.wait()
                continue
            try:
                # [[key, [(id, fields), ...]], ...]; redis-py's annotation is a wide union.
                streams: dict[Any, Any] = dict(self._positions)
                found: Any = await self.client.xread(streams, count=COUNT, block=BLOCK_MS)
            except (RedisError, OSError) as exc:
                if not self._failing:
                    log.warning("stream hub cannot read Redis, relays use stored rows: %s", exc)
                self._failing = True
                await asyncio.sleep(RETRY_SECONDS)
                continue
            except asyncio.CancelledError:
                raise
            except Exception:  # never let the reader die: every relay would stall
                log.exception("stream hub failed to read; retrying")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if self._failing:
                log.info("stream hub reads Redis again")
                self._failing = False
            read = found.items() if isinstance(found, dict) else found or ()  # RESP3 / RESP2
            for key, raw in read:
                self._deliver(str(key), raw)

    def _deliver(self, key: str, raw: list[tuple[Any, Any]]) -> None:
        if not raw or key not in self._positions:
            return  # unsubscribed while the read was in flight
        entries = [entry_from_fields(str(entry_id), dict(f or {})) for entry_id, f in raw]
        self._positions[key] = entries[-1].id
        for inbox in self._inboxes.get(key, ()):
            inbox.put_nowait(entries)
