"""Celery's Redis transport, with one reusable Redis client per channel and pool.

kombu builds a new `redis.Redis` object for every publish and every ack
(`Channel._create_client`), and redis-py's constructor fills a table of several
hundred response callbacks each time: in the worker's profile at saturation that was
the largest single cost per task. A client is only a handle on the channel's
connection pool and is safe to share between threads, so the channel keeps one per
pool, and makes a new one only when kombu replaces the pool.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis

TRANSPORT = "ainative.broker:Transport"


class Channel(kombu_redis.Channel):
    def _create_client(self, asynchronous: bool = False) -> Any:
        """The channel's synchronous client, made once per pool (the async one kombu caches)."""
        if asynchronous:
            return super()._create_client(asynchronous=True)  # type: ignore[no-untyped-call]
        client = self.__dict__.get("_shared_client")
        if client is None or client.connection_pool is not self.pool:
            client = self.__dict__["_shared_client"] = super()._create_client()  # type: ignore[no-untyped-call]  # kombu is untyped
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel


def transport_for(url: str) -> str | None:
    """This transport for redis:// and rediss:// brokers; None leaves kombu's choice."""
    return TRANSPORT if url.split("://", 1)[0] in ("redis", "rediss") else None
