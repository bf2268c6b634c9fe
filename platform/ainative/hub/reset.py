"""The hub's password reset page (GET/POST /hub/reset?token=...), for one-time links.

Staff create the link (POST /api/v1/users/{id}/reset-link, ainative.auth.resets); the
student opens it, reads the password rule and sets a new password. The link then stops
working, and every session of the account ends: refresh tokens revoked, the new token
generation published so hub cookies and live access tokens are refused. Attempts count
per client address; every refusal is shown on the page.
"""

from __future__ import annotations

from typing import Any

from jupyterhub.handlers.base import BaseHandler
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from ainative.auth import resets
from ainative.auth.errors import ResetLinkError, UserError
from ainative.auth.passwords import PASSWORD_RULE
from ainative.auth.revocation import publish_generation
from ainative.config import get_settings
from ainative.hub.handlers import client_ip
from ainative.limits import ratelimit

MISMATCH = "the two passwords differ: type the same password twice"
SESSIONS_LEFT = (
    "Your password is changed, but logins made before it could not all be ended at once: "
    "they stop when their access expires, within minutes. Tell an administrator (the hub "
    "could not publish the change)."
)


class ResetHandler(BaseHandler):  # type: ignore[misc]  # jupyterhub ships no types
    """GET shows the form for a usable link; POST (XSRF-checked) sets the password."""

    async def get(self) -> None:
        token = self.get_argument("token", default="", strip=True)
        try:
            username = await self.authenticator._db(
                lambda s: resets.find_reset(s, token)[1].username
            )
        except ResetLinkError as exc:
            self.set_status(410)
            await self._page(token="", link_error=str(exc))
            return
        await self._page(token=token, username=username)

    async def post(self) -> None:
        token = self.get_body_argument("token", default="", strip=True)
        password = self.get_body_argument("password", default="")
        confirm = self.get_body_argument("confirm", default="")
        settings = get_settings()
        limiter = self.authenticator._limiter()
        if limiter is not None:
            ip = client_ip(self, settings.trusted_proxies)
            verdict = await ratelimit.hit(
                limiter,
                "password-reset",
                ip,
                limit=settings.login_rate_limit,
                window=settings.rate_limit_window_seconds,
            )
            if not verdict.allowed:
                self.set_status(429)
                await self._page(token=token, link_error=f"{verdict.detail()}.")
                return
        if password != confirm:
            self.set_status(422)
            await self._page(token=token, password_error=MISMATCH)
            return

        def work(session: Session) -> tuple[int, int]:
            user = resets.use_reset_link(session, token=token, new_password=password)
            return user.id, user.token_generation

        try:
            user_id, generation = await self.authenticator._db(work)
        except ResetLinkError as exc:
            self.set_status(410)
            await self._page(token="", link_error=str(exc))
            return
        except UserError as exc:  # the password rule
            self.set_status(422)
            await self._page(token=token, password_error=str(exc))
            return
        if limiter is not None:
            try:
                await publish_generation(
                    limiter, user_id=user_id, generation=generation, settings=settings
                )
            except RedisError as exc:
                # The password is changed, but live access tokens still pass until they
                # expire: say so, loudly, instead of a page claiming every login ended.
                self.log.error(
                    "password reset of user %s: the new token generation was not published "
                    "(%s); older access tokens live until they expire. Check the hub's "
                    "Redis user may write auth:gen:user:* (docker-compose.yml)",
                    user_id,
                    exc,
                )
                self.set_status(503)
                await self._page(token="", done=True, sessions_error=SESSIONS_LEFT)
                return
        await self._page(token="", done=True)

    async def _page(self, **ns: Any) -> None:
        # The token is in the URL: keep it out of caches and of other sites' Referer.
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        values = {
            "username": "",
            "link_error": "",
            "password_error": "",
            "sessions_error": "",
            "done": False,
            **ns,
        }
        self.finish(await self.render_template("reset.html", rule=PASSWORD_RULE, **values))
