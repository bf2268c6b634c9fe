"""The hub's /login page, extended with token login: GET /hub/login?token=<login JWT>.

Links from the API or an LMS carry a short-lived, single-use login token (issued by
POST /api/v1/auth/hub-token); everything else is the stock password form. A link never
logs anyone in by itself (login CSRF): unless it is the owner's own session already, it
shows whose account it opens, and only the page's form (a POST with the XSRF field)
logs in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jupyterhub.handlers.login import LoginHandler
from tornado import web

from ainative.auth.tokens import TokenError, decode_token
from ainative.hub import accounts
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


class TokenLoginHandler(LoginHandler):  # type: ignore[misc]  # jupyterhub ships no types
    """LoginHandler that logs in with `?token=` before falling back to the form.

    A link opened without a session, or over someone else's, never logs in silently
    (login CSRF: the attacker's link would put the victim to work in the attacker's
    account): it shows a page naming the account, whose form POSTs the token back with
    the XSRF field. Only the owner's own session goes straight through.
    """

    async def get(self) -> None:
        token = self.get_argument("token", default="", strip=True)
        if not token:
            await super().get()
            return
        current = self.current_user
        claims = self._link_claims(token)
        owner = str(claims.get("username") or "")
        if current is not None and owner.lower() == current.name:
            await self._token_login(token)
            return
        if await self.authenticator._db(accounts.login_token_used, claims):
            raise web.HTTPError(403, "This login link has already been used. Ask for a new one.")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")  # the token is in the URL
        page = await self.render_template(
            "login_link.html",
            current=current.name if current is not None else "",
            owner=owner,
            token=token,
            next=self.get_argument("next", default=""),
        )
        self.finish(page)

    def _link_claims(self, token: str) -> dict[str, Any]:
        """The link's claims (its owner's username among them); 403 for an invalid link."""
        try:
            return decode_token(token, "login")
        except TokenError as exc:
            raise web.HTTPError(
                403, f"This login link is not valid ({exc}). Ask for a new one."
            ) from exc

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
