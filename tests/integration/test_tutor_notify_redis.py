"""The API's done-notifier against a real Redis: one subscription wakes only the published id."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from ainative.queue import DONE_CHANNEL
from api.notify import DoneNotifier

pytestmark = pytest.mark.integration


async def _until(predicate, rounds: int = 200) -> None:
    for _ in range(rounds):
        if predicate():
            return
        await asyncio.sleep(0.025)


async def test_publish_wakes_only_that_ids_waiters(services) -> None:
    notifier = DoneNotifier(services.redis_url)
    notifier.start()
    publisher = aioredis.Redis.from_url(services.redis_url)
    try:
        await _until(lambda: notifier.connected)
        assert notifier.connected
        with notifier.waiter("a") as a1, notifier.waiter("a") as a2, notifier.waiter("b") as b:
            await publisher.publish(DONE_CHANNEL, "a")
            await asyncio.wait_for(a1.wait(), 10)
            await asyncio.wait_for(a2.wait(), 10)
            assert not b.is_set()
            b.clear()
            await publisher.publish(DONE_CHANNEL, "b")
            await asyncio.wait_for(b.wait(), 10)
        assert notifier._waiters == {}  # waiters deregister on exit
    finally:
        await notifier.stop()
        await publisher.aclose()
