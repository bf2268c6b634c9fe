"""The API's done-notifier without Redis: it reports disconnected and keeps trying."""

from __future__ import annotations

import asyncio

from ainative.runtime.devservices import free_port
from ainative.tutor.streaming.notify import DoneNotifier


async def test_without_redis_it_reports_disconnected_and_keeps_trying() -> None:
    notifier = DoneNotifier(f"redis://127.0.0.1:{free_port()}/0")
    notifier.start()
    try:
        with notifier.waiter("x"):
            await asyncio.sleep(0.3)
            assert not notifier.connected
        assert notifier._task is not None and not notifier._task.done()
    finally:
        await notifier.stop()
