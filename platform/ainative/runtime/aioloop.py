"""A private event loop in a daemon thread: how blocking code calls async code.

Two users: the notebook's blocking TutorClient (a Jupyter kernel already runs a loop in
its main thread, so `asyncio.run` cannot be used there) and the worker's LLM provider
(Celery task threads hand their call to one loop per process, so hundreds of calls in
flight share one connection pool and cost no thread of CPU each). Running coroutines on a
loop of our own works the same with or without a loop in the caller's thread, and keeps
connection pools alive between calls.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """An event loop running forever in its own daemon thread until `stop()`."""

    def __init__(self, name: str = "ainative-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the private loop and block until it is done; its exception is ours.

        An interrupt of the waiting thread (Ctrl-C in a kernel) cancels the coroutine too.
        """
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a blocking call from inside its own loop would wait forever")
        if not self.running:
            coro.close()
            raise RuntimeError("this event loop is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop, wait for the thread, close the loop (idempotent)."""
        if self.loop.is_closed():
            return
        if threading.current_thread() is self._thread:  # from a callback: just stop
            self.loop.stop()
            return
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()
