"""The answer's live text for one reader: what GET /api/v1/tutor/requests/{id}/stream
sends (the API frames these events as Server-Sent Events, api/sse.py).

Events: the stream's `delta` and `reset` entries (each with its Redis stream entry id, so
a reconnecting client's Last-Event-ID continues after it), then one Final with the stored
row; then the events end. An answer whose stream expired (or that never had one: a cache
hit in the API) gets the Final only. IDLE comes when nothing else was sent for
HEARTBEAT_SECONDS, so the transport can keep the connection alive.

No database connection is held while streaming: the row is read once to check access
and once at the end. New entries come from the process's StreamHub (one XREAD for
every open stream, tutor.streaming.hub), waited for at most BLOCK_SECONDS at a time;
between waits the row is re-checked when the done signal fires or every
RECHECK_SECONDS, so a worker that died, a sweeper that gave up or a Redis outage still
ends the stream with the stored answer. A finished row's last entries are read
directly, as is what a second reader of a stream missed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ainative.db.engine import Db, on_connection
from ainative.tutor import repository as repo
from ainative.tutor.errors import BadLastEventIdError
from ainative.tutor.repository import Row
from ainative.tutor.streaming.entries import START, StreamEntry, read_entries, valid_entry_id
from ainative.tutor.streaming.hub import Inbox, StreamHub
from ainative.tutor.streaming.long_poll import FINAL, read_interaction
from ainative.tutor.streaming.notify import DoneNotifier

HEARTBEAT_SECONDS = 15.0
BLOCK_SECONDS = 1.0
RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Final:
    """The last event: the stored interaction, answered or failed."""

    row: Row


@dataclass(frozen=True)
class Idle:
    """Nothing was sent for HEARTBEAT_SECONDS."""


IDLE = Idle()
# A `delta` or `reset` entry of the stream (never `end`: that becomes the Final), a Final, IDLE.
RelayEvent = StreamEntry | Final | Idle


def _position(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


async def open_stream(
    db: Db,
    redis: aioredis.Redis,
    notifier: DoneNotifier,
    hub: StreamHub,
    interaction_id: uuid.UUID,
    *,
    user_id: int,
    roles: Sequence[str],
    last_event_id: str | None,
    max_seconds: float,
) -> AsyncGenerator[RelayEvent, None]:
    """Check access (one refusal for missing and not theirs) before anything is sent, then
    return the events."""
    after = (last_event_id or "").strip() or START
    if not valid_entry_id(after):
        raise BadLastEventIdError()
    row = await db(on_connection(read_interaction), interaction_id, user_id=user_id, roles=roles)
    relay = _Relay(db, redis, notifier, hub, str(interaction_id))
    return relay.events(row, after, max_seconds)


class _Relay:
    def __init__(
        self,
        db: Db,
        redis: aioredis.Redis,
        notifier: DoneNotifier,
        hub: StreamHub,
        interaction_id: str,
    ) -> None:
        self.db, self.redis, self.notifier, self.hub = db, redis, notifier, hub
        self.id = interaction_id

    async def _row(self, fallback: Row) -> Row:
        latest = await self.db(on_connection(repo.get_interaction), uuid.UUID(self.id))
        return latest or fallback

    async def _read(self, after: str, block: float | None) -> list[StreamEntry] | None:
        """Entries after `after`; None while Redis is unavailable."""
        try:
            block_ms = None if block is None else max(1, int(block * 1000))
            return await read_entries(self.redis, self.id, after, block_ms)
        except (RedisError, OSError):
            if block:
                await asyncio.sleep(block)
            return None

    async def _next(self, inbox: Inbox, after: str, block: float) -> list[StreamEntry]:
        """The hub's entries after `after`, waiting up to `block` seconds for some."""
        if not self.hub.reading:
            return await self._read(after, block) or []
        try:
            batch = await asyncio.wait_for(inbox.get(), block)
        except TimeoutError:
            return []
        while not inbox.empty():
            batch += inbox.get_nowait()
        seen = _position(after)
        return [entry for entry in batch if _position(entry.id) > seen]

    async def events(
        self, row: Row, after: str, max_seconds: float
    ) -> AsyncGenerator[RelayEvent, None]:
        now = time.monotonic()
        deadline, last_sent, next_check = now + max_seconds, now, now + RECHECK_SECONDS
        behind = self.hub.tracks(self.id)  # read already: what came before is ours to read
        with self.notifier.waiter(self.id) as done, self.hub.subscribe(self.id, after) as inbox:
            finished = row["status"] in FINAL
            while True:
                # A finished row: drain what is left without waiting, then the final event.
                block = None if finished else min(BLOCK_SECONDS, deadline - time.monotonic())
                if block is not None and block <= 0:
                    return  # the client reconnects with Last-Event-ID
                if block is None or behind:
                    entries = await self._read(after, None)
                    behind = False
                else:
                    entries = await self._next(inbox, after, block)
                for entry in entries or ():
                    if entry.kind == "end":
                        yield Final(await self._row(row))
                        return
                    after = entry.id
                    last_sent = time.monotonic()
                    yield entry
                if finished and not entries:
                    yield Final(row)
                    return
                now = time.monotonic()
                if not entries and (done.is_set() or now >= next_check):
                    done.clear()
                    next_check = now + RECHECK_SECONDS
                    row = await self._row(row)
                    finished = row["status"] in FINAL
                if now - last_sent >= HEARTBEAT_SECONDS:
                    last_sent = now
                    yield IDLE
