"""How the notebook talks to the tutor API: one back-off policy and one token-refresh path.

The tutor client and the activity recorder both send through a Transport. It puts the
kernel's access token on each request and, on a 401, refreshes the pair once through the
kernel's TokenStore (tokens.py: shared, so a rotated refresh token is never replayed); it
retries 502/503/504 and connection errors with exponential back-off, waiting at least
what Retry-After asks, and not at all when it asks for longer than a student should wait.
A 429 is not retried: the quota refills in minutes, so the student reads when.

Backoff is the policy alone, so the loops that are more than one request (an answer's
stream resuming with Last-Event-ID, the recorder's flush thread) wait the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ainative.notebook.tokens import TokenStore
from ainative.notebook.wire import RETRY_STATUSES, TutorUnavailableError

MAX_DOUBLINGS = 60  # beyond this 2**attempt is only an overflow; `cap` decides anyway


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a Retry-After header asks for (delta-seconds or HTTP date), if any."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


@dataclass(frozen=True)
class Backoff:
    """Wait `base * 2**attempt` seconds (at most `cap`) before each of `retries` retries."""

    base: float = 0.5
    retries: int | None = 4  # None: never give up (the recorder waits for the network)
    cap: float = math.inf
    max_retry_wait: float = 10.0  # a Retry-After asking for longer: stop instead

    def delay(self, attempt: int, response: httpx.Response | None = None) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to stop retrying."""
        if self.retries is not None and attempt >= self.retries:
            return None
        delay = min(self.cap, self.base * 2.0 ** min(attempt, MAX_DOUBLINGS))
        asked = retry_after(response) if response is not None else None
        if asked is not None:
            if asked > self.max_retry_wait:  # longer than a student should sit and wait
                return None
            delay = max(delay, asked)
        return delay


class Transport:
    """Authorised requests to the API of `tokens`, refreshed and retried as described above."""

    def __init__(
        self, tokens: TokenStore, backoff: Backoff | None = None, timeout: float = 60.0
    ) -> None:
        self.tokens = tokens
        self.backoff = backoff or Backoff()
        self.timeout = timeout
        # One connection pool per event loop: ipykernel may run widget callbacks and cells
        # on different loops, and an httpx pool must not cross loops.
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._pools = weakref.WeakKeyDictionary()

    @property
    def api_url(self) -> str:
        return self.tokens.api_url

    def _pool(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None or pool.is_closed:
            pool = httpx.AsyncClient(timeout=self.timeout)
            self._pools[loop] = pool
        return pool

    async def aclose(self) -> None:
        """Close the pool of the current loop (others close with their loops)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.aclose()

    def unreachable(self) -> TutorUnavailableError:
        return TutorUnavailableError(f"cannot reach the tutor at {self.api_url}")

    async def renew(self, used: str) -> bool:
        """After a 401 for the access token `used`: a fresh one, False if none can be had.

        The store takes a token someone else already renewed instead of spending the
        refresh token again (a server key is never spent); its refusal (SessionExpiredError)
        is the caller's answer.
        """
        if not self.tokens.renewable:
            return False
        await asyncio.to_thread(self.tokens.refresh, used)
        return True

    async def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call: a token refresh on the first 401, back-off on 5xx and connection errors.

        Ends with the last response (the caller's `raise_for` reads it) or a
        TutorUnavailableError; the one refresh is not counted against the retries.
        """
        refreshed = False
        attempt = 0
        while True:
            used = self.tokens.access_token
            headers = {"Authorization": f"Bearer {used}"}
            try:
                response = await self._pool().request(
                    method, self.api_url + path, headers=headers, **kwargs
                )
            except httpx.TransportError as exc:
                delay = self.backoff.delay(attempt)
                if delay is None:
                    raise self.unreachable() from exc
            else:
                if response.status_code == 401 and not refreshed and await self.renew(used):
                    refreshed = True
                    continue
                if response.status_code not in RETRY_STATUSES:
                    return response
                delay = self.backoff.delay(attempt, response)
                if delay is None:
                    return response
            await asyncio.sleep(delay)
            attempt += 1

    @contextlib.asynccontextmanager
    async def stream(self, path: str, headers: dict[str, str]) -> AsyncIterator[httpx.Response]:
        """A GET whose body is read as it comes (one try: the caller resumes it)."""
        headers = {"Authorization": f"Bearer {self.tokens.access_token}", **headers}
        async with self._pool().stream("GET", self.api_url + path, headers=headers) as response:
            yield response
