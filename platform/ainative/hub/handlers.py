"""The hub's /login page, extended with token login: GET /hub/login?token=<login JWT>.

Links from the API or an LMS carry a short-lived, single-use login token (issued by
POST /api/v1/auth/hub-token); everything else is the stock password form.
"""

from __future__ import annotations

from jupyterhub.handlers.login import LoginHandler
from tornado import web


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
