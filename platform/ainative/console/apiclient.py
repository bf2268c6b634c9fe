"""The console's one way to the platform: the API over HTTP with a console-scoped token.

The hub's OAuth token of the signed-in user is exchanged once for a console token
(POST /api/v1/auth/console-token), cached per hub token until shortly before it expires.
Every refusal of the API becomes an ApiError whose message a person can read (a 422's
field messages, a 403's detail), never a stack trace.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import httpx

RENEW_BEFORE_SECONDS = 60  # a cached console token is replaced this long before it expires
MAX_CACHED_TOKENS = 1000
TIMEOUT = httpx.Timeout(15.0, connect=3.0)


class ApiError(Exception):
    """The API refused or could not be reached; `message` is safe to show on the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_message(reply: httpx.Response) -> str:
    """What the API said, in words: its detail, or each field's validation message."""
    try:
        detail = reply.json().get("detail")
    except ValueError:
        detail = None
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("body", "query"))
            msg = str(item.get("msg", "invalid"))
            parts.append(f"{where}: {msg}" if where else msg)
        return "; ".join(parts) or "the request was not accepted"
    if reply.status_code == 503:
        return "the platform is busy or restarting; please retry shortly"
    return f"the platform answered {reply.status_code}"


@dataclass
class _Cached:
    token: str
    renew_at: float


class ConsoleApi:
    """Calls the API for one signed-in user at a time; owns the HTTP client's pool."""

    def __init__(self, base_url: str, client: httpx.AsyncClient | None = None) -> None:
        self.client = client or httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT)
        self._tokens: dict[str, _Cached] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _console_token(self, hub_token: str) -> str:
        key = hashlib.sha256(hub_token.encode()).hexdigest()
        cached = self._tokens.get(key)
        now = time.monotonic()
        if cached is not None and cached.renew_at > now:
            return cached.token
        reply = await self._send("POST", "/api/v1/auth/console-token", {"hub_token": hub_token})
        body = reply.json()
        if len(self._tokens) >= MAX_CACHED_TOKENS:
            self._tokens = {k: v for k, v in self._tokens.items() if v.renew_at > now}
        renew_in = max(int(body["expires_in"]) - RENEW_BEFORE_SECONDS, 1)
        self._tokens[key] = _Cached(str(body["access_token"]), now + renew_in)
        return str(body["access_token"])

    def forget(self, hub_token: str) -> None:
        """Drop a cached token (the user logged out, or the API stopped accepting it)."""
        self._tokens.pop(hashlib.sha256(hub_token.encode()).hexdigest(), None)

    async def _send(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            reply = await self.client.request(
                method, path, json=body, params=query, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ApiError(503, "the platform cannot be reached right now; retry shortly") from exc
        if reply.status_code >= 400:
            raise ApiError(reply.status_code, error_message(reply))
        return reply

    async def call(
        self,
        hub_token: str,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """The API's JSON reply (None for 204) to one call made as the signed-in user."""
        token = await self._console_token(hub_token)
        try:
            reply = await self._send(method, path, body, params, token)
        except ApiError as exc:
            if exc.status != 401:
                raise
            self.forget(hub_token)  # revoked or expired early: one fresh token, one retry
            token = await self._console_token(hub_token)
            reply = await self._send(method, path, body, params, token)
        return None if reply.status_code == 204 or not reply.content else reply.json()
