"""The live text of an answer: one Redis Stream per interaction, replayable by late readers.

The worker appends entries while the LLM writes (tutor.streaming.writer); the API's SSE
relay reads them with XREAD from any point (a reconnecting client's Last-Event-ID).
The key expires STREAM_TTL_SECONDS after the last attempt started or ended; the
database stays the source of truth, so an expired stream only means the reader gets
the stored answer.

Entries (field `type`, plus `text`):
- `reset` — discard the text so far and show `text` instead. Every attempt starts with
  an empty one, so a retry after a failure mid-answer never shows text twice; the
  stream guard also resets when a rewrite replaces what was shown (tutor.stream_guard).
- `delta` — append `text`.
- `end` — the row is stored (done or error): read it, it carries the final answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio as aioredis

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


def valid_entry_id(value: str) -> bool:
    return bool(ENTRY_ID.match(value))


def entry_from_fields(entry_id: str, fields: dict[str, str]) -> StreamEntry:
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
    return [entry_from_fields(str(entry_id), dict(f or {})) for entry_id, f in found[0][1]]


async def stream_exists(client: aioredis.Redis, interaction_id: str) -> bool:
    return bool(await client.exists(stream_key(interaction_id)))
