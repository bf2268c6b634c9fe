"""The hub's /login page, extended with token login: GET /hub/login?token=<login JWT>.

Links from the API or an LMS carry a short-lived, single-use login token (issued by
POST /api/v1/auth/hub-token); everything else is the stock password form. A link opened
over another user's session asks before switching (a POST with the XSRF field).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from jupyterhub.handlers.login import LoginHandler
from tornado import web

from ainative.auth.tokens import TokenError, decode_token
from ainative.limits.ratelimit import client_address


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


CONFIRM_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switch account?</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 4em auto">
<h1>Switch account?</h1>
<p>You are logged in as <strong>{current}</strong>. This link logs you in as
<strong>{owner}</strong> instead.</p>
<p>If you did not ask for this link, someone may be trying to make you work in their
account: keep your own session.</p>
<form method="post" action="{action}">
<input type="hidden" name="_xsrf" value="{xsrf}">
<input type="hidden" name="token" value="{token}">
<input type="hidden" name="next" value="{next}">
<input type="hidden" name="confirm" value="yes">
<button type="submit">Log in as {owner}</button>
<a href="{home}">Stay logged in as {current}</a>
</form></body></html>
"""


class TokenLoginHandler(LoginHandler):  # type: ignore[misc]  # jupyterhub ships no types
    """LoginHandler that logs in with `?token=` before falling back to the form.

    Over someone else's session a link never switches silently (login CSRF): it shows
    a confirmation page whose form POSTs the token back with the XSRF field.
    """

    async def get(self) -> None:
        token = self.get_argument("token", default="", strip=True)
        if not token:
            await super().get()
            return
        current = self.current_user
        owner = self._link_owner(token)
        if current is not None and owner.lower() != current.name:
            self.set_header("Cache-Control", "no-store")
            self.finish(self._confirm_page(current.name, owner, token))
            return
        await self._token_login(token)

    def _link_owner(self, token: str) -> str:
        """The username the link would log in as; 403 for a link that is not valid."""
        try:
            claims = decode_token(token, "login")
        except TokenError as exc:
            raise web.HTTPError(
                403, f"This login link is not valid ({exc}). Ask for a new one."
            ) from exc
        return str(claims.get("username") or "")

    def _confirm_page(self, current: str, owner: str, token: str) -> str:
        base = self.hub.base_url
        return CONFIRM_PAGE.format(
            current=html.escape(current),
            owner=html.escape(owner),
            action=html.escape(self.settings["login_url"]),
            xsrf=html.escape(self.xsrf_token.decode("ascii")),
            token=html.escape(token),
            next=html.escape(self.get_argument("next", default="")),
            home=html.escape(f"{base}home"),
        )

    async def _token_login(self, token: str) -> None:
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
        if "token" not in self.request.body_arguments:
            await super().post()  # the password form
            return
        # Only the confirmation page posts a token (the XSRF check has passed to get here).
        if self.get_body_argument("confirm", default="") != "yes":
            raise web.HTTPError(400, "Log in with a token through GET /hub/login?token=...")
        await self._token_login(self.get_body_argument("token", strip=True))
