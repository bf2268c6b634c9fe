"""Flower behind the hub's login: hub admins only, the way JupyterHub services sign users in.

Flower's own basic auth counts no failures, so guessing it was unlimited. Instead Flower
(flowerconfig.py) names `HubAdminLogin` as its `auth_provider`: any page Flower guards
(`@web.authenticated`: the UI and every `/api/*`) sends a visitor without Flower's
signed `user` cookie to `<prefix>/login`, which runs the hub's OAuth
(jupyterhub.services.auth.HubOAuth, client `service-flower`, secret FLOWER_HUB_TOKEN):
an anonymous visitor lands on the hub's login page; back from the hub, the user model
decides: a hub admin gets the cookie, anyone else a plain 403 and no cookie. Flower's
`auth` option then accepts exactly the cookie values this login writes.

Flower serves `/metrics` without any check of its own; `install()` puts it behind the
monitoring token (ainative.observability.metrics_auth) or an admin's login, makes
Flower honour a login for SESSION_DAYS only, and makes its logout clear the cookie at the
path where it was set.
"""

from __future__ import annotations

import hmac
import logging
from functools import lru_cache
from typing import Any

import tornado.web
from flower.views import BaseHandler
from flower.views.auth import get_next_url
from jupyterhub.services.auth import HubOAuth
from jupyterhub.utils import get_browser_protocol
from tornado.httputil import url_concat

from ainative.config import Settings, get_settings
from ainative.observability.metrics_auth import bearer_matches

log = logging.getLogger(__name__)

CLIENT_ID = "service-flower"  # jupyterhub_config.py registers the service with it
ADMIN_SUFFIX = "@hub-admin"
# Flower's `auth` option: a cookie value must be "<name>@hub-admin" (flower.utils.authentication).
AUTH_PATTERN = ".*" + ADMIN_SUFFIX
COOKIE = "user"  # the signed cookie Flower's BaseHandler.get_current_user reads
NOT_AN_ADMIN = "403 Forbidden: Flower is for the hub's admins only.\n"
# How long Flower honours a login (tornado's default is 31 days): a demoted admin's
# session ends within this, whatever the browser keeps.
SESSION_DAYS = 0.5


def service_prefix(settings: Settings) -> str:
    """Flower's path prefix with a leading slash and none at the end ('' at the root)."""
    prefix = settings.flower_url_prefix.strip("/")
    return f"/{prefix}" if prefix else ""


def login_path(settings: Settings) -> str:
    """The login (and OAuth callback) URL: the service's `oauth_redirect_uri` in the hub."""
    return f"{service_prefix(settings)}/login"


@lru_cache
def hub_oauth() -> HubOAuth:
    """The hub's OAuth client for this Flower, from Settings (one per process)."""
    settings = get_settings()
    return HubOAuth(
        api_token=settings.flower_hub_secret(),
        api_url=settings.hub_rest_url,
        oauth_client_id=CLIENT_ID,
        base_url=service_prefix(settings) + "/",
        hub_prefix="/hub/",
        oauth_redirect_uri=login_path(settings),
    )


def is_hub_admin(model: dict[str, Any]) -> bool:
    """Only a hub user whose model says `admin` (platform admins are hub admins)."""
    return model.get("kind", "user") == "user" and model.get("admin") is True


def cookie_value(model: dict[str, Any]) -> str:
    """What the cookie says; Flower's `auth` pattern (AUTH_PATTERN) accepts only this form."""
    return f"{model['name']}{ADMIN_SUFFIX}"


class HubAdminLogin(BaseHandler):  # type: ignore[misc]  # flower is untyped
    """Flower's `auth_provider`: start the hub's OAuth, or finish it and admit admins."""

    async def get(self) -> None:
        hub = hub_oauth()
        if self.get_argument("error", None):
            raise tornado.web.HTTPError(403, "the hub refused the login")
        code = self.get_argument("code", None, escape=False)
        if not code:
            self._start(hub)
            return
        model = await self._finish(hub, code)
        if model is None or not is_hub_admin(model):
            log.warning("flower: refused hub user %r (not an admin)", (model or {}).get("name"))
            self.set_status(403)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(NOT_AN_ADMIN)
            return
        self.set_secure_cookie(
            COOKIE,
            cookie_value(model),
            expires_days=None,  # a browser-session cookie
            path=service_prefix(get_settings()) or "/",
            secure=get_browser_protocol(self.request) == "https",
        )
        log.info("flower: hub admin %s logged in", model["name"])
        self.redirect(self._next_url or get_next_url(self))

    def _start(self, hub: HubOAuth) -> None:
        """Send the browser to the hub's authorize page (which asks an anonymous visitor to
        log in first), with a state cookie and PKCE."""
        verifier, challenge, method = hub.generate_pkce_code_challenge()
        state = hub.set_state_cookie(self, next_url=get_next_url(self), code_verifier=verifier)
        self.redirect(
            url_concat(
                hub.login_url,
                {"state": state, "code_challenge": challenge, "code_challenge_method": method},
            )
        )

    async def _finish(self, hub: HubOAuth, code: str) -> dict[str, Any] | None:
        """Check the state against its cookie, trade the code for a token, ask who it is."""
        state = self.get_argument("state", "", escape=False)
        cookie = self.get_secure_cookie(hub.get_state_cookie_name(state), max_age_days=1)
        hub.clear_oauth_state_cookies(self)
        if not state or not cookie or not hmac.compare_digest(cookie, state.encode()):
            raise tornado.web.HTTPError(403, "OAuth state does not match; log in again")
        self._next_url = hub.get_next_url(state)
        verifier = hub.get_code_verifier(state)
        hub.clear_oauth_state(state)
        try:
            token = await hub.token_for_code(code, code_verifier=verifier, sync=False)
            model: dict[str, Any] | None = await hub.user_for_token(
                token, use_cache=False, sync=False
            )
        except tornado.web.HTTPError as exc:
            if exc.status_code != 500:  # 502: the hub is down, say so
                raise
            # HubAuth reports the hub's 4xx (a made-up or reused code) as its own 500.
            raise tornado.web.HTTPError(403, "the hub did not confirm this login") from exc
        return model

    _next_url: str | None = None


def install(settings: Settings) -> None:
    """Guard what Flower leaves open: `/metrics` (the monitoring token or an admin's login),
    the age of a login (SESSION_DAYS) and its logout (clear the cookie where it was set)."""
    from flower.views import auth, monitor

    token = settings.metrics_secret()
    path = service_prefix(settings) or "/"
    serve_metrics = monitor.Metrics.get

    async def metrics_get(handler: BaseHandler) -> None:
        if not bearer_matches(handler.request.headers.get("Authorization"), token):
            if not handler.current_user:
                raise tornado.web.HTTPError(401)
        await serve_metrics(handler)

    def logout_get(handler: BaseHandler) -> None:
        handler.clear_cookie(COOKIE, path=path)
        handler.current_user = None
        handler.render("logout.html")

    def read_signed_cookie(
        handler: BaseHandler,
        name: str,
        value: str | None = None,
        max_age_days: float = 31,
        min_version: int | None = None,
    ) -> bytes | None:
        if name == COOKIE:
            max_age_days = min(max_age_days, SESSION_DAYS)
        return tornado.web.RequestHandler.get_signed_cookie(
            handler, name, value, max_age_days, min_version
        )

    monitor.Metrics.get = metrics_get
    auth.LogoutHandler.get = logout_get
    BaseHandler.get_secure_cookie = read_signed_cookie
