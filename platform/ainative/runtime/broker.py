"""Celery's Redis transport, with one reusable Redis client per channel and pool.

kombu builds a new `redis.Redis` object for every publish and every ack
(`Channel._create_client`), and redis-py's constructor fills a table of several
hundred response callbacks each time, a large cost per task. A client is only a handle
on the channel's connection pool and is safe to share between threads, so the channel
keeps one per pool, and makes a new one only when kombu replaces the pool.

When Redis restarts, the consumer closes the broken connection; the channel then
refuses to build a client from it with a connection error, which the close path
ignores (an AttributeError there would make Celery exit).
"""

from __future__ import annotations

from typing import Any

import redis.exceptions
from kombu.transport import redis as kombu_redis

TRANSPORT = "ainative.runtime.broker:Transport"


class Channel(kombu_redis.Channel):
    def _create_client(self, asynchronous: bool = False) -> Any:
        """The channel's synchronous client, made once per pool (the async one kombu caches)."""
        if asynchronous:
            return super()._create_client(asynchronous=True)  # type: ignore[no-untyped-call]
        if self._pool is None and getattr(self.connection, "client", None) is None:
            # The consumer dropped a broken connection (Redis restarted) and is closing
            # this channel: kombu would build a pool from the closed connection and die
            # with an AttributeError, which Celery treats as unrecoverable and exits.
            # A connection error is what the close path expects, and ignores.
            raise redis.exceptions.ConnectionError("the broker connection is closed")
        client = self.__dict__.get("_shared_client")
        if client is None or client.connection_pool is not self.pool:
            client = self.__dict__["_shared_client"] = super()._create_client()  # type: ignore[no-untyped-call]  # kombu is untyped
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel


def transport_for(url: str) -> str | None:
    """This transport for redis:// and rediss:// brokers; None leaves kombu's choice."""
    return TRANSPORT if url.split("://", 1)[0] in ("redis", "rediss") else None
