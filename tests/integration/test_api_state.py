"""The API's one start-up path: the lifespan opens every client once and closes them all."""

from __future__ import annotations

import asyncio

from ainative.config import get_settings
from api.state import open_state


def _running(name: str) -> bool:
    return any(t.get_name() == name and not t.done() for t in asyncio.all_tasks())


async def test_open_state_opens_everything_and_closes_it(services) -> None:
    async with open_state(get_settings()) as state:
        for _ in range(400):
            if state.notifier.connected:
                break
            await asyncio.sleep(0.025)
        assert state.notifier.connected
        assert await state.redis.ping() is True
        assert state.cache.status()["backend"] == "redis"
        assert _running("pool-gauges") and _running("done-notifier")
    assert not _running("pool-gauges") and not _running("done-notifier")
    assert not state.notifier.connected
