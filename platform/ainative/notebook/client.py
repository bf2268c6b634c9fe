"""TutorClient / AsyncTutorClient: ask the platform's tutor from a notebook kernel.

The hub puts AINATIVE_API_URL, AINATIVE_ACCESS_TOKEN and AINATIVE_REFRESH_TOKEN into the
single-user server's environment. The clients refresh the pair on a 401 (through one
TokenStore per kernel, shared with the activity recorder, so a rotated refresh token is
never replayed), retry politely on 503 and connection errors, and turn the API's refusals
into messages a student can act on. The widget uses the async client so the kernel stays
responsive while a question is open.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from typing import Any

import httpx

from ainative.notebook.models import (
    RETRY_STATUSES,
    Interaction,
    Quota,
    QuotaExceededError,
    SessionExpiredError,
    TutorError,
    TutorUnavailableError,
    _detail,
    clock,
)
from ainative.notebook.tokens import EXPIRED, TokenStore, shared_tokens

__all__ = [
    "AsyncTutorClient",
    "Interaction",
    "Quota",
    "QuotaExceededError",
    "SessionExpiredError",
    "TokenStore",
    "TutorClient",
    "TutorError",
    "TutorUnavailableError",
    "clock",
]


class _Core:
    """Configuration, the shared token store and the reading of responses (no I/O)."""

    def __init__(
        self,
        api_url: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        *,
        tokens: TokenStore | None = None,
        wait_seconds: float = 25.0,
        retries: int = 4,
        backoff: float = 0.5,
        timeout: float = 60.0,
    ) -> None:
        if tokens is None:
            explicit = api_url and access_token
            tokens = TokenStore(api_url, access_token, refresh_token or "") if explicit else None
        self.tokens = tokens or shared_tokens()
        self.api_url = self.tokens.api_url
        self.wait_seconds = wait_seconds
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout

    @property
    def access_token(self) -> str:
        return self.tokens.access_token

    @access_token.setter
    def access_token(self, value: str) -> None:
        self.tokens.access_token = value

    @property
    def refresh_token(self) -> str:
        return self.tokens.refresh_token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @staticmethod
    def _question(prompt: str, mode: str, context: dict | None, course_id: int | None) -> dict:
        body: dict[str, Any] = {
            "prompt": prompt,
            "mode": mode,
            "client_request_id": f"nb-{uuid.uuid4().hex}",
        }
        if context:
            body["context"] = {k: v for k, v in context.items() if v}
        if course_id is not None:
            body["course_id"] = course_id
        return body

    @staticmethod
    def _raise_for(response: httpx.Response, quota: Quota | None = None) -> None:
        code = response.status_code
        if code < 400:
            return
        if code == 401:
            raise SessionExpiredError(EXPIRED)
        if code == 429:
            body = response.json() if "json" in response.headers.get("content-type", "") else {}
            refills = Quota.from_json(body).refills_at if isinstance(body, dict) else None
            refills = refills or (quota.refills_at if quota else None)
            if refills or "quota" in _detail(response).lower():
                raise QuotaExceededError(f"tutor quota used up, refills at {clock(refills)}")
            raise QuotaExceededError(f"too many requests: {_detail(response)}")
        if code in RETRY_STATUSES:
            raise TutorUnavailableError("the tutor is busy or restarting; try again in a minute")
        raise TutorError(f"the tutor refused the request ({code}): {_detail(response)}")


class TutorClient(_Core):
    """Blocking client: `TutorClient().ask("why does my loop stop early?")`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._http = httpx.Client(base_url=self.api_url, timeout=self.timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TutorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call with a token refresh on 401 and backoff on 5xx/connection errors."""
        refreshed = False
        for attempt in range(self.retries + 1):
            used = self.access_token
            try:
                response = self._http.request(method, path, headers=self._headers(), **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise TutorUnavailableError(
                        f"cannot reach the tutor at {self.api_url}"
                    ) from exc
                time.sleep(self.backoff * 2**attempt)
                continue
            if response.status_code == 401 and not refreshed and self.refresh_token:
                refreshed = True
                self.tokens.refresh(used)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                time.sleep(self.backoff * 2**attempt)
                continue
            return response
        raise AssertionError("unreachable")

    def refresh(self) -> None:
        """Trade the refresh token for a new pair (POST /api/v1/auth/refresh)."""
        self.tokens.refresh()

    def submit(
        self, prompt: str, mode: str = "socratic", context: dict | None = None,
        course_id: int | None = None,
    ) -> Interaction:  # fmt: skip
        body = self._question(prompt, mode, context, course_id)
        r = self._send("POST", "/api/v1/tutor/requests", json=body)
        if r.status_code == 429:
            self._raise_for(r, self._quota_or_none())
        self._raise_for(r)
        return Interaction.from_json(r.json())

    def wait(self, interaction_id: str, timeout: float = 300.0) -> Interaction:
        deadline = time.monotonic() + timeout
        while True:
            wait = max(1.0, min(self.wait_seconds, deadline - time.monotonic()))
            r = self._send("GET", f"/api/v1/tutor/requests/{interaction_id}", params={"wait": wait})
            self._raise_for(r)
            item = Interaction.from_json(r.json())
            if item.finished or time.monotonic() >= deadline:
                return item

    def ask(
        self, prompt: str, mode: str = "socratic", context: dict | None = None,
        course_id: int | None = None, timeout: float = 300.0,
    ) -> Interaction:  # fmt: skip
        """Submit a question and long-poll until it is answered (or failed)."""
        item = self.submit(prompt, mode, context, course_id)
        return item if item.finished else self.wait(item.id, timeout)

    def rate(self, interaction_id: str, rating: int) -> None:
        path = f"/api/v1/tutor/requests/{interaction_id}/rating"
        self._raise_for(self._send("POST", path, json={"rating": rating}))

    def quota(self) -> Quota:
        r = self._send("GET", "/api/v1/tutor/quota")
        self._raise_for(r)
        return Quota.from_json(r.json())

    def _quota_or_none(self) -> Quota | None:
        try:
            return self.quota()
        except TutorError:
            return None


class AsyncTutorClient(_Core):
    """The same calls as TutorClient, awaitable (for the widget on the kernel's loop)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One connection pool per event loop: ipykernel may run widget callbacks and cells
        # on different loops, and an httpx pool must not cross loops.
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._pools = weakref.WeakKeyDictionary()

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None or pool.is_closed:
            pool = self._pools[loop] = httpx.AsyncClient(
                base_url=self.api_url, timeout=self.timeout
            )
        return pool

    async def aclose(self) -> None:
        """Close the pool of the current loop (others close with their loops)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        refreshed = False
        for attempt in range(self.retries + 1):
            used = self.access_token
            try:
                response = await self._http().request(
                    method, path, headers=self._headers(), **kwargs
                )
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise TutorUnavailableError(
                        f"cannot reach the tutor at {self.api_url}"
                    ) from exc
                await asyncio.sleep(self.backoff * 2**attempt)
                continue
            if response.status_code == 401 and not refreshed and self.refresh_token:
                refreshed = True
                await asyncio.to_thread(self.tokens.refresh, used)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                await asyncio.sleep(self.backoff * 2**attempt)
                continue
            return response
        raise AssertionError("unreachable")

    async def refresh(self) -> None:
        await asyncio.to_thread(self.tokens.refresh)

    async def submit(
        self, prompt: str, mode: str = "socratic", context: dict | None = None,
        course_id: int | None = None,
    ) -> Interaction:  # fmt: skip
        body = self._question(prompt, mode, context, course_id)
        r = await self._send("POST", "/api/v1/tutor/requests", json=body)
        if r.status_code == 429:
            self._raise_for(r, await self._quota_or_none())
        self._raise_for(r)
        return Interaction.from_json(r.json())

    async def wait(self, interaction_id: str, timeout: float = 300.0) -> Interaction:
        deadline = time.monotonic() + timeout
        while True:
            wait = max(1.0, min(self.wait_seconds, deadline - time.monotonic()))
            path = f"/api/v1/tutor/requests/{interaction_id}"
            r = await self._send("GET", path, params={"wait": wait})
            self._raise_for(r)
            item = Interaction.from_json(r.json())
            if item.finished or time.monotonic() >= deadline:
                return item

    async def ask(
        self, prompt: str, mode: str = "socratic", context: dict | None = None,
        course_id: int | None = None, timeout: float = 300.0,
    ) -> Interaction:  # fmt: skip
        item = await self.submit(prompt, mode, context, course_id)
        return item if item.finished else await self.wait(item.id, timeout)

    async def rate(self, interaction_id: str, rating: int) -> None:
        path = f"/api/v1/tutor/requests/{interaction_id}/rating"
        self._raise_for(await self._send("POST", path, json={"rating": rating}))

    async def quota(self) -> Quota:
        r = await self._send("GET", "/api/v1/tutor/quota")
        self._raise_for(r)
        return Quota.from_json(r.json())

    async def _quota_or_none(self) -> Quota | None:
        try:
            return await self.quota()
        except TutorError:
            return None
