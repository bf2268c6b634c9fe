"""The hub's /login page, extended with token login: GET /hub/login?token=<login JWT>.

Links from the API or an LMS carry a short-lived, single-use login token (issued by
POST /api/v1/auth/hub-token); everything else is the stock password form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jupyterhub.handlers.login import LoginHandler
from tornado import web

from ainative.ratelimit import client_address


def client_ip(handler: Any, trusted: Sequence[str]) -> str:
    """The client's address for the login limit, never from a client-sent X-Real-Ip.

    Tornado (xheaders) lets `X-Real-Ip` override `request.remote_ip`; the connection's
    own peer address and X-Forwarded-For, read as for the API, are what count.
    """
    if handler is None:
        return "unknown"
    request = handler.request
    address = getattr(getattr(request, "connection", None), "context", None)
    peer = getattr(address, "address", None)
    peer_ip = peer[0] if isinstance(peer, tuple) and peer else None
    if not peer_ip:  # a Unix socket or a test double: tornado's view, minus X-Real-Ip
        peer_ip = getattr(address, "_orig_remote_ip", None) or request.remote_ip
    headers = getattr(request, "headers", None) or {}
    return client_address(peer_ip, headers.get("X-Forwarded-For"), trusted)


class TokenLoginHandler(LoginHandler):  # type: ignore[misc]  # jupyterhub ships no types
    """LoginHandler that logs in with `?token=` before falling back to the form."""

    async def get(self) -> None:
        token = self.get_argument("token", default="", strip=True)
        if not token:
            await super().get()
            return
        # A link always logs in as its owner, even over someone else's cookie.
        user = await self.login_user({"token": token})
        if user is None:
            raise web.HTTPError(403, "This login link is not valid. Ask for a new one.")
        self._jupyterhub_user = user
        self.redirect(self.get_next_url(user), permanent=False)

    def append_query_parameters(self, url: str, exclude: list[str] | None = None) -> str:
        # Never carry the login token on into the redirect (history, logs, Referer).
        url = super().append_query_parameters(url, exclude=[*(exclude or ["next"]), "token"])
        return str(url)

    async def post(self) -> None:
        # The password form never accepts a token field: token login is GET-only.
        if "token" in self.request.body_arguments:
            raise web.HTTPError(400, "Log in with a token through GET /hub/login?token=...")
        await super().post()
