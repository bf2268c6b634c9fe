"""One computation per key and second, shared by every caller asking meanwhile.

The live lab view is polled every second by each staff member who keeps it open; with
several of them on one 300-student course, computing it once per second per API process
keeps its cost flat (issue 21). Access is decided before (the route's dependency), so a
shared result never reaches someone who may not read it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedResult(Generic[T]):
    """Results kept `ttl` seconds per key; concurrent callers await the one in flight."""

    def __init__(self, ttl: float, max_keys: int = 1000) -> None:
        self._ttl = ttl
        self._max_keys = max_keys
        self._entries: dict[Hashable, tuple[float, asyncio.Future[T]]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The result for `key` if younger than ttl (or being computed), else a new one."""
        loop = asyncio.get_running_loop()
        full_key = (id(loop), key)  # a future belongs to one event loop
        now = time.monotonic()
        entry = self._entries.get(full_key)
        if entry is not None and now - entry[0] < self._ttl:
            return await asyncio.shield(entry[1])
        if len(self._entries) >= self._max_keys:
            self._entries = {k: v for k, v in self._entries.items() if now - v[0] < self._ttl}
        future: asyncio.Future[T] = asyncio.ensure_future(compute())
        self._entries[full_key] = (now, future)
        try:
            return await asyncio.shield(future)
        except BaseException:
            if self._entries.get(full_key, (0.0, None))[1] is future:
                del self._entries[full_key]  # a failure is not kept for the others
            raise
