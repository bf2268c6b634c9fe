"""One access token per kernel and what renews it, shared by every client in it.

In a hub server the kernel holds an access token scoped to the tutor widget and a server
key (AINATIVE_SERVER_KEY, ainative.auth.server_tokens): renewing is POST
/api/v1/auth/server-token, which rotates nothing, so any number of kernels (and a
restarted one) renew with the same key. A TutorClient built with a full login instead
holds a refresh token; those rotate and a reused one revokes its whole family, so two
holders (the widget's client, a TutorClient in a cell, the activity recorder) must never
refresh independently. They all go through one TokenStore: renewals are serialised by a
lock, and a caller whose token was already replaced just takes the new one.
"""

from __future__ import annotations

import threading

import httpx

from ainative.config import Settings
from ainative.notebook.wire import (
    EXPIRED,
    SessionExpiredError,
    TutorClientError,
    TutorUnavailableError,
)


class TokenStore:
    """The kernel's API URL and access token, renewed with its server key (POST
    /api/v1/auth/server-token) or else its refresh token (POST /api/v1/auth/refresh)."""

    def __init__(
        self, api_url: str, access_token: str, refresh_token: str = "", server_key: str = ""
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.server_key = server_key
        self._lock = threading.Lock()

    @property
    def renewable(self) -> bool:
        return bool(self.server_key or self.refresh_token)

    def refresh(self, used_access_token: str | None = None) -> str:
        """A fresh access token; no network call if someone already replaced `used_access_token`.

        Blocking (called from a thread by the async client and the activity recorder).
        """
        with self._lock:
            if used_access_token is not None and used_access_token != self.access_token:
                return self.access_token
            if self.server_key:
                path, body = "/api/v1/auth/server-token", {"server_key": self.server_key}
            elif self.refresh_token:
                path, body = "/api/v1/auth/refresh", {"refresh_token": self.refresh_token}
            else:
                raise SessionExpiredError(EXPIRED)
            try:
                r = httpx.post(f"{self.api_url}{path}", json=body, timeout=30)
            except httpx.TransportError as exc:
                raise TutorUnavailableError(f"cannot reach the tutor at {self.api_url}") from exc
            if r.status_code != 200:
                raise SessionExpiredError(EXPIRED)
            pair = r.json()
            self.access_token = pair["access_token"]
            self.refresh_token = pair.get("refresh_token") or self.refresh_token
            return self.access_token


_shared: TokenStore | None = None
_shared_lock = threading.Lock()


def shared_tokens() -> TokenStore:
    """The kernel's store, built once from AINATIVE_API_URL / _ACCESS_TOKEN / _SERVER_KEY."""
    global _shared
    with _shared_lock:
        if _shared is None:
            env = Settings()
            if not env.ainative_api_url or not env.ainative_access_token:
                raise TutorClientError(
                    "the tutor is not configured here: open this notebook from JupyterHub "
                    "(AINATIVE_API_URL and AINATIVE_ACCESS_TOKEN are missing)"
                )
            _shared = TokenStore(
                env.ainative_api_url,
                env.ainative_access_token,
                server_key=env.ainative_server_key,
            )
        return _shared
