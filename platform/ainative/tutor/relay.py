"""The answer's live text as Server-Sent Events: GET /api/v1/tutor/requests/{id}/stream.

Events: `delta` and `reset` (data `{"text": ...}`, id = the Redis stream entry id, so a
reconnecting client's Last-Event-ID continues after it), then one `final` whose data is
the stored interaction; then the response ends. An answer whose stream expired (or that
never had one: a cache hit in the API) gets the `final` event only. A `: keep-alive`
comment goes out when nothing else was sent for HEARTBEAT_SECONDS.

No database connection is held while streaming: the row is read once to check access
and once at the end. Redis is read with XREAD BLOCK for at most BLOCK_SECONDS at a time
(below the API client's socket timeout); between reads the row is re-checked when the
done signal fires or every RECHECK_SECONDS, so a worker that died, a sweeper that gave
up or a Redis outage still ends the stream with the stored answer.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import Engine

from ainative.db.engine import run_db
from ainative.tutor import repository as repo
from ainative.tutor.notify import DoneNotifier
from ainative.tutor.reading import FINAL, read_interaction
from ainative.tutor.repository import Row
from ainative.tutor.service import TutorError
from ainative.tutor.stream import START, StreamEntry, read_entries, valid_entry_id

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


async def open_stream(
    engine: Engine,
    redis: aioredis.Redis,
    notifier: DoneNotifier,
    interaction_id: uuid.UUID,
    *,
    user_id: int,
    roles: Sequence[str],
    last_event_id: str | None,
    max_seconds: float,
    render: Render,
) -> AsyncIterator[str]:
    """Check access (404 alike for missing and not theirs) before anything is sent, then
    return the events; `render` turns the stored row into the final event's JSON."""
    after = (last_event_id or "").strip() or START
    if not valid_entry_id(after):
        raise TutorError(422, BAD_EVENT_ID)
    row = await run_db(engine, read_interaction, interaction_id, user_id=user_id, roles=roles)
    relay = _Relay(engine, redis, notifier, str(interaction_id), render)
    return relay.events(row, after, max_seconds)


class _Relay:
    def __init__(
        self,
        engine: Engine,
        redis: aioredis.Redis,
        notifier: DoneNotifier,
        interaction_id: str,
        render: Render,
    ) -> None:
        self.engine, self.redis, self.notifier = engine, redis, notifier
        self.id, self.render = interaction_id, render

    async def _row(self, fallback: Row) -> Row:
        latest = await run_db(self.engine, repo.get_interaction, uuid.UUID(self.id))
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

    async def events(self, row: Row, after: str, max_seconds: float) -> AsyncIterator[str]:
        now = time.monotonic()
        deadline, last_sent, next_check = now + max_seconds, now, now + RECHECK_SECONDS
        with self.notifier.waiter(self.id) as done:
            finished = row["status"] in FINAL
            while True:
                # A finished row: drain what is left without waiting, then the final event.
                block = None if finished else min(BLOCK_SECONDS, deadline - time.monotonic())
                if block is not None and block <= 0:
                    return  # the client reconnects with Last-Event-ID
                entries = await self._read(after, block)
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
