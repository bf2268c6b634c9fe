"""The live text of an answer: one Redis Stream per interaction, replayable by late readers.

The worker appends entries while the LLM writes; the API's SSE relay reads them with
XREAD from any point (a reconnecting client's Last-Event-ID). The key expires
STREAM_TTL_SECONDS after the last attempt started or ended; the database stays the
source of truth, so an expired stream only means the reader gets the stored answer.

Entries (field `type`, plus `text`):
- `reset` — discard the text so far and show `text` instead. Every attempt starts with
  an empty one, so a retry after a failure mid-answer never shows text twice; the
  stream guard also resets when a rewrite replaces what was shown (tutor.stream_guard).
- `delta` — append `text`.
- `end` — the row is stored (done or error): read it, it carries the final answer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ainative.tutor.stream_guard import Release

log = logging.getLogger(__name__)
EntryKind = Literal["delta", "reset", "end"]
ENTRY_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
START = "0-0"


def stream_key(interaction_id: str) -> str:
    return f"tutor:stream:{interaction_id}"


@dataclass(frozen=True)
class StreamEntry:
    id: str
    kind: EntryKind
    text: str = ""


class StreamPublisher:
    """The worker's writer for one interaction. Redis trouble never fails an answer:
    the first error is logged, later writes are skipped, readers fall back to the row."""

    def __init__(self, client: redis.Redis, interaction_id: str, ttl_seconds: int) -> None:
        self.client = client
        self.interaction_id = interaction_id
        self.key = stream_key(interaction_id)
        self.ttl = ttl_seconds
        self.broken = False

    def _add(self, kind: EntryKind, text: str = "", *, expire: bool = False) -> None:
        if self.broken:
            return
        try:
            if expire:
                pipe = self.client.pipeline(transaction=False)
                pipe.xadd(self.key, {"type": kind, "text": text})
                pipe.expire(self.key, self.ttl)
                pipe.execute()
            else:
                self.client.xadd(self.key, {"type": kind, "text": text})
        except RedisError as exc:
            self.broken = True
            log.warning("answer stream of %s unavailable: %s", self.interaction_id, exc)

    def publish(self, release: Release | None) -> None:
        """Send one release of the stream guard (None: nothing to send)."""
        if release is None:
            return
        if release.reset:
            self._add("reset", release.text, expire=True)
        elif release.text:
            self._add("delta", release.text)

    def end(self) -> None:
        """The row is stored: tell readers to fetch it."""
        self._add("end", expire=True)


def valid_entry_id(value: str) -> bool:
    return bool(ENTRY_ID.match(value))


def _entry(entry_id: str, fields: dict[str, str]) -> StreamEntry:
    kind = fields.get("type", "delta")
    if kind not in ("delta", "reset", "end"):
        kind = "delta"
    return StreamEntry(entry_id, kind, fields.get("text", ""))  # type: ignore[arg-type]


async def read_entries(
    client: aioredis.Redis, interaction_id: str, after: str, block_ms: int | None
) -> list[StreamEntry]:
    """Entries after `after` (waiting up to `block_ms`, None = do not wait); the client
    must decode responses."""
    key = stream_key(interaction_id)
    # RESP2 shape: [[key, [(id, fields), ...]]]; redis-py's annotation is a wide union.
    found: Any = await client.xread({key: after}, count=200, block=block_ms)
    if not found:
        return []
    return [_entry(str(entry_id), dict(fields or {})) for entry_id, fields in found[0][1]]


async def stream_exists(client: aioredis.Redis, interaction_id: str) -> bool:
    return bool(await client.exists(stream_key(interaction_id)))
