"""The API's stream hub against a real Redis: one reader, each relay gets its own entries."""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as aioredis

from ainative.tutor.streaming.entries import stream_key
from ainative.tutor.streaming.hub import StreamHub


async def next_texts(inbox: asyncio.Queue, count: int) -> list[str]:
    texts: list[str] = []
    while len(texts) < count:
        batch = await asyncio.wait_for(inbox.get(), 30)
        texts += [entry.text for entry in batch]
    return texts


async def test_each_inbox_gets_its_own_streams_entries_from_where_it_asked(services) -> None:
    client = aioredis.Redis.from_url(services.redis_url, decode_responses=True)
    hub = StreamHub(client)
    hub.start()
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        early = await client.xadd(stream_key(a), {"type": "delta", "text": "before"})
        await client.xadd(stream_key(a), {"type": "delta", "text": "written early"})
        with hub.subscribe(a, early) as inbox_a, hub.subscribe(b, "0-0") as inbox_b:
            assert hub.tracks(a) and hub.tracks(b)
            assert await next_texts(inbox_a, 1) == ["written early"]  # after its position
            await client.xadd(stream_key(b), {"type": "delta", "text": "for b"})
            await client.xadd(stream_key(a), {"type": "end", "text": ""})
            assert await next_texts(inbox_b, 1) == ["for b"]
            assert await next_texts(inbox_a, 1) == [""]
            assert inbox_a.empty() and inbox_b.empty()
        assert not hub.tracks(a) and not hub.tracks(b)  # the last subscriber left: not read
    finally:
        await hub.stop()
        await client.delete(stream_key(a), stream_key(b))
        await client.aclose()
