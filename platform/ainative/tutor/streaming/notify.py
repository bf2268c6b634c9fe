"""The "answer is done" signal: the worker publishes it, the API's long-polls wait on it.

The channel and the message (the bare interaction id) are defined here only.
Workers call `publish_done` when an interaction reaches done or error. The API runs one
`DoneNotifier` per process: its listener task sets the events of the requests waiting on
that id. Waiters register BEFORE they re-check the database, so a completion between the
check and the wait is never missed. When the subscription (re)connects, every waiter is
woken to re-check, since messages published while disconnected are lost. While Redis is
down `connected` is false and waiters fall back to re-reading the database every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
DONE_CHANNEL = "ainative:interactions:done"
RECONNECT_DELAY = 1.0


def publish_done(client: redis.Redis, interaction_id: str) -> None:
    """Announce that `interaction_id` is done or failed (raises RedisError when Redis is down)."""
    client.publish(DONE_CHANNEL, interaction_id)


class DoneNotifier:
    """Dispatch DONE_CHANNEL messages to asyncio events keyed by interaction id."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.connected = False
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="done-notifier")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            # asyncio.wait neither re-cancels nor blocks past the timeout: a redis
            # connection stuck in close cannot hang the API's shutdown.
            await asyncio.wait({self._task}, timeout=5)
        self._wake_all()

    @contextlib.contextmanager
    def waiter(self, interaction_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever `interaction_id` is published (or on reconnect).

        Clear it before each database re-check: a publish after the clear sets it again,
        so no completion is lost between the check and the wait.
        """
        event = asyncio.Event()
        self._waiters[interaction_id].add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(interaction_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    self._waiters.pop(interaction_id, None)

    def _wake(self, interaction_id: str) -> None:
        for event in self._waiters.get(interaction_id, ()):
            event.set()

    def _wake_all(self) -> None:
        for interaction_id in list(self._waiters):
            self._wake(interaction_id)

    async def _run(self) -> None:
        while True:
            client = aioredis.Redis.from_url(
                self.url,
                decode_responses=True,
                socket_connect_timeout=1.0,
                health_check_interval=15,
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(DONE_CHANNEL)
                self.connected = True
                self._wake_all()  # anything published while we were away: re-check
                while True:
                    message = await pubsub.get_message(timeout=30.0)
                    if message and message.get("type") == "message":
                        self._wake(str(message["data"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if self.connected:
                    log.warning("done-notifier lost Redis, waiters poll the DB: %s", exc)
                self.connected = False
                self._wake_all()
            finally:
                self.connected = False
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(pubsub.aclose(), 2)  # type: ignore[no-untyped-call, unused-ignore]  # unannotated before redis-py 8.2
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.aclose(), 2)
            await asyncio.sleep(RECONNECT_DELAY)
