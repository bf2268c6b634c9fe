"""The done signal against a real Redis: `publish_done` wakes the waiters of that id only."""

from __future__ import annotations

import asyncio

import redis

from ainative.tutor.streaming.notify import DoneNotifier, publish_done


async def _until(predicate, rounds: int = 200) -> None:
    for _ in range(rounds):
        if predicate():
            return
        await asyncio.sleep(0.025)


async def test_publish_wakes_only_that_ids_waiters(services) -> None:
    notifier = DoneNotifier(services.redis_url)
    notifier.start()
    publisher = redis.Redis.from_url(services.redis_url)
    try:
        await _until(lambda: notifier.connected)
        assert notifier.connected
        with notifier.waiter("a") as a1, notifier.waiter("a") as a2, notifier.waiter("b") as b:
            publish_done(publisher, "a")
            await asyncio.wait_for(a1.wait(), 10)
            await asyncio.wait_for(a2.wait(), 10)
            assert not b.is_set()
            b.clear()
            publish_done(publisher, "b")
            await asyncio.wait_for(b.wait(), 10)
        assert notifier._waiters == {}  # waiters deregister on exit
    finally:
        await notifier.stop()
        publisher.close()
