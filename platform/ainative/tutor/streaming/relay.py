"""The answer's live text as Server-Sent Events: GET /api/v1/tutor/requests/{id}/stream.

Events: `delta` and `reset` (data `{"text": ...}`, id = the Redis stream entry id, so a
reconnecting client's Last-Event-ID continues after it), then one `final` whose data is
the stored interaction; then the response ends. An answer whose stream expired (or that
never had one: a cache hit in the API) gets the `final` event only. A `: keep-alive`
comment goes out when nothing else was sent for HEARTBEAT_SECONDS.

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
import json
import time
import uuid
from collections.abc import AsyncGenerator, Callable, Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ainative.db.engine import Db, on_connection
from ainative.tutor import repository as repo
from ainative.tutor.repository import Row
from ainative.tutor.streaming.entries import START, StreamEntry, read_entries, valid_entry_id
from ainative.tutor.streaming.hub import Inbox, StreamHub
from ainative.tutor.streaming.long_poll import FINAL, read_interaction
from ainative.tutor.streaming.notify import DoneNotifier
from ainative.tutor.submit import TutorError

HEARTBEAT_SECONDS = 15.0
BLOCK_SECONDS = 1.0
RECHECK_SECONDS = 5.0
BAD_EVENT_ID = "Last-Event-ID is not an event id of this stream; reconnect without it"
HEARTBEAT = ": keep-alive\n\n"

Render = Callable[[Row], str]


def sse(event: str, data: str, event_id: str | None = None) -> str:
    """One Server-Sent Event; multi-line data becomes several `data:` lines."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines += [f"data: {line}" for line in data.split("\n")]
    return "\n".join(lines) + "\n\n"


def entry_event(entry: StreamEntry) -> str:
    return sse(entry.kind, json.dumps({"text": entry.text}), entry.id)


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
    render: Render,
) -> AsyncGenerator[str, None]:
    """Check access (404 alike for missing and not theirs) before anything is sent, then
    return the events; `render` turns the stored row into the final event's JSON."""
    after = (last_event_id or "").strip() or START
    if not valid_entry_id(after):
        raise TutorError(422, BAD_EVENT_ID)
    row = await db(on_connection(read_interaction), interaction_id, user_id=user_id, roles=roles)
    relay = _Relay(db, redis, notifier, hub, str(interaction_id), render)
    return relay.events(row, after, max_seconds)


class _Relay:
    def __init__(
        self,
        db: Db,
        redis: aioredis.Redis,
        notifier: DoneNotifier,
        hub: StreamHub,
        interaction_id: str,
        render: Render,
    ) -> None:
        self.db, self.redis, self.notifier, self.hub = db, redis, notifier, hub
        self.id, self.render = interaction_id, render

    async def _row(self, fallback: Row) -> Row:
        latest = await self.db(on_connection(repo.get_interaction), uuid.UUID(self.id))
        return latest or fallback

    def _final(self, row: Row) -> str:
        return sse("final", self.render(row))

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

    async def events(self, row: Row, after: str, max_seconds: float) -> AsyncGenerator[str, None]:
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
                        yield self._final(await self._row(row))
                        return
                    after = entry.id
                    last_sent = time.monotonic()
                    yield entry_event(entry)
                if finished and not entries:
                    yield self._final(row)
                    return
                now = time.monotonic()
                if not entries and (done.is_set() or now >= next_check):
                    done.clear()
                    next_check = now + RECHECK_SECONDS
                    row = await self._row(row)
                    finished = row["status"] in FINAL
                if now - last_sent >= HEARTBEAT_SECONDS:
                    last_sent = now
                    yield HEARTBEAT
