"""The LTI 1.3 tool endpoints in the hub, named as jupyterhub-ltiauthenticator's.

- GET/POST /hub/lti13/oauth_login: the LMS's third-party initiated login. The hub finds
  the registration (iss, client_id), binds a fresh state and nonce to this browser in a
  signed cookie, and sends the browser to the LMS's auth endpoint (response_mode=form_post).
- POST /hub/lti13/oauth_callback: the LMS posts id_token + state. ainative.lti.validator
  checks them (state = cookie, signature by kid, iss, aud/azp, exp/iat, nonce = cookie,
  deployment, message type, version); the nonce is spent in the DB; then
  ainative.lti.records decides: log in, choose an account, choose a course, or refuse.
- GET /hub/lti13/config: the tool's JSON configuration (Canvas paste-in), /hub/lti13/jwks
  the tool's public key (NRPS client assertions are signed with it).
Every refusal is an HTML page naming the rule (template lti_refused.html).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any
from urllib.parse import urlencode

from jupyterhub.handlers.base import BaseHandler
from jupyterhub.utils import url_path_join
from sqlalchemy.orm import Session

from ainative.hub import accounts
from ainative.lti import claims as c
from ainative.lti import identities, keys, platforms, records
from ainative.lti.claims import Launch
from ainative.lti.errors import LaunchRefused
from ainative.lti.validator import LaunchValidator, Registration

STATE_COOKIE = "ainative-lti13-state"
LAUNCH_COOKIE = "ainative-lti13-launch"
COOKIE_MINUTES = 10


def registrations(session: Session, issuer: str | None = None) -> list[Registration]:
    rows = platforms.for_issuer(session, issuer=issuer) if issuer else []
    return [
        Registration(r.id, r.issuer, r.client_id, tuple(r.deployment_ids or ()), r.jwks_url)
        for r in rows
    ]


class LtiHandler(BaseHandler):  # type: ignore[misc]  # jupyterhub ships no types
    """Shared: the refusal page, the signed cookies, and the end of a launch."""

    def _cookie_options(self) -> dict[str, Any]:
        # The LMS posts the launch cross-site: over https the cookie must be SameSite=None.
        https = self.request.protocol == "https"
        return {
            "path": url_path_join(self.hub.base_url, "lti13"),
            "httponly": True,
            "secure": https,
            "samesite": "None" if https else "Lax",
        }

    def set_signed(self, name: str, value: dict[str, Any]) -> None:
        self.set_secure_cookie(name, json.dumps(value), expires_days=None, **self._cookie_options())

    def get_signed(self, name: str) -> dict[str, Any]:
        raw = self.get_secure_cookie(name, max_age_days=COOKIE_MINUTES / 1440)
        try:
            value = json.loads(raw) if raw else {}
        except ValueError:
            value = {}
        return value if isinstance(value, dict) else {}

    def clear_signed(self, name: str) -> None:
        self.clear_cookie(name, path=self._cookie_options()["path"])

    async def refuse(self, refusal: LaunchRefused, status: int = 403) -> None:
        self.log.warning("LTI launch refused (%s): %s", refusal.rule, refusal)
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        html = await self.render_template(
            "lti_refused.html", rule=refusal.rule, message=str(refusal)
        )
        self.finish(html)

    async def platform_db(self, fn: Any, *args: Any) -> Any:
        return await self.authenticator._db(fn, *args)

    async def proceed(self, launch: Launch) -> None:
        """The next step of a validated launch: log in and open the notebook, or a page."""
        try:
            step = await self.platform_db(records.resolve, launch)
        except LaunchRefused as refusal:
            self.clear_signed(LAUNCH_COOKIE)
            await self.refuse(refusal)
            return
        if step.kind != "ready":
            self.set_signed(LAUNCH_COOKIE, launch.to_json())
            await self.choose_page(launch, step)
            return
        self.clear_signed(LAUNCH_COOKIE)
        account = await self.platform_db(lambda s: accounts.load_account(s, user_id=step.user_id))
        user = await self.login_user({accounts.EXTERNAL_ACCOUNT: account})
        if user is None:
            await self.refuse(LaunchRefused("account", "This account may not use this hub."))
            return
        notebook = launch.notebook or records.DEFAULT_NOTEBOOK
        target = url_path_join(user.url, "lab", "tree", notebook)
        self.redirect(url_path_join(self.hub.base_url, "spawn") + "?" + urlencode({"next": target}))

    async def choose_page(self, launch: Launch, step: records.Step, error: str = "") -> None:
        self.set_header("Cache-Control", "no-store")
        html = await self.render_template(
            "lti_choose.html",
            step=step.kind,
            launch=launch,
            courses=step.courses,
            error=error,
            action=url_path_join(self.hub.base_url, "lti13", "continue"),
        )
        self.finish(html)


class LoginInitHandler(LtiHandler):
    """Third-party initiated login (Security Framework 5.1.1): GET or POST from the LMS."""

    _xsrf_safe_methods = {"GET", "HEAD", "OPTIONS", "POST"}  # the LMS posts it cross-site

    async def get(self) -> None:
        issuer = self.get_argument("iss", default="")
        hint = self.get_argument("login_hint", default="")
        target = self.get_argument("target_link_uri", default="")
        client_id = self.get_argument("client_id", default="")
        if not issuer or not hint or not target:
            await self.refuse(
                LaunchRefused(
                    "login", "The login initiation lacks iss, login_hint or target_link_uri."
                ),
                400,
            )
            return
        rows = await self.platform_db(lambda s: platforms.for_issuer(s, issuer=issuer))
        mine = [r for r in rows if not client_id or r.client_id == client_id]
        if len(mine) != 1:
            why = (
                f"The LMS {issuer!r} is not registered with this hub."
                if not mine
                else "This LMS has several client ids here and did not say which (client_id)."
            )
            await self.refuse(LaunchRefused("iss", why))
            return
        platform = mine[0]
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.set_signed(STATE_COOKIE, {"state": state, "nonce": nonce})
        params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": platform.client_id,
            "redirect_uri": self.callback_url(),
            "login_hint": hint,
            "state": state,
            "nonce": nonce,
        }
        message_hint = self.get_argument("lti_message_hint", default="")
        if message_hint:
            params["lti_message_hint"] = message_hint
        sep = "&" if "?" in platform.auth_login_url else "?"
        self.redirect(platform.auth_login_url + sep + urlencode(params))

    post = get

    def callback_url(self) -> str:
        path = str(url_path_join(self.hub.base_url, "lti13", "oauth_callback"))
        return f"{self.request.protocol}://{self.request.host}{path}"


class CallbackHandler(LtiHandler):
    """The launch (Core 1.3 section 5): the LMS form-posts id_token and state."""

    _xsrf_safe_methods = {"GET", "HEAD", "OPTIONS", "POST"}  # state is the CSRF check

    async def post(self) -> None:
        cookie = self.get_signed(STATE_COOKIE)
        id_token = self.get_body_argument("id_token", default="")
        state = self.get_body_argument("state", default="")
        issuer = ""
        try:
            issuer = str(LaunchValidator([]).check_token_shape(id_token).get("iss") or "")
        except LaunchRefused:
            pass  # validate() below says so, after the state check
        regs = await self.platform_db(registrations, issuer)
        validator = LaunchValidator(regs)
        try:
            platform, verified = await asyncio.to_thread(
                validator.validate,
                id_token,
                state=state,
                cookie_state=str(cookie.get("state") or ""),
                cookie_nonce=str(cookie.get("nonce") or ""),
            )
            await self.platform_db(records.consume_nonce, str(verified["nonce"]))
        except LaunchRefused as refusal:
            await self.refuse(refusal)
            return
        self.clear_signed(STATE_COOKIE)
        await self.proceed(records.launch_from_claims(platform.id, platform.client_id, verified))


class ContinueHandler(LtiHandler):
    """The launch's choices: new account or link one (by its password); new course or link."""

    async def post(self) -> None:
        data = self.get_signed(LAUNCH_COOKIE)
        if not data:
            await self.refuse(
                LaunchRefused("state", "This launch has expired; open the link in the LMS again.")
            )
            return
        launch = Launch.from_json(data)
        choice = self.get_body_argument("choice", default="")
        try:
            if choice == "new-account":
                await self.platform_db(records.new_account, launch)
            elif choice == "link-account":
                if not await self._link_account(launch):
                    return
            elif choice.startswith("course:"):
                await self._link_course(launch, choice.split(":", 1)[1])
            else:
                await self.refuse(LaunchRefused("choice", "Choose one of the offered options."))
                return
        except LaunchRefused as refusal:
            await self.refuse(refusal)
            return
        await self.proceed(launch)

    async def _link_account(self, launch: Launch) -> bool:
        """Only the account's own password links it; False when a page was shown."""
        username = self.get_body_argument("username", default="").strip()
        password = self.get_body_argument("password", default="")
        account = await self.authenticator._password_account(self, username, password)
        if account is None:
            self.set_status(403)
            step = records.Step("account")
            await self.choose_page(launch, step, error="Wrong username or password.")
            return False

        def link(session: Session) -> None:
            identities.link_identity(
                session,
                issuer=launch.issuer,
                subject=launch.subject,
                kind="lti",
                user_id=account.id,
            )

        await self.platform_db(link)
        return True

    async def _link_course(self, launch: Launch, wanted: str) -> None:
        def bind(session: Session) -> None:
            user_id = identities.find_user_id(session, issuer=launch.issuer, subject=launch.subject)
            if user_id is None or launch.role != "instructor":
                raise LaunchRefused("context", "Only the course's instructor sets it up.")
            course_id = int(wanted) if wanted.isdigit() else None
            records.bind_context(session, launch, user_id=user_id, course_id=course_id)

        await self.platform_db(bind)


class ConfigHandler(LtiHandler):
    """The tool's configuration JSON (Canvas "Paste JSON"; Moodle reads the same URLs)."""

    async def get(self) -> None:
        base = f"{self.request.protocol}://{self.request.host}"
        hub = url_path_join(base + self.hub.base_url)
        config = {
            "title": "AI-Native Tutor",
            "description": "JupyterLab with the course's AI tutor",
            "oidc_initiation_url": url_path_join(hub, "lti13", "oauth_login"),
            "target_link_uri": url_path_join(hub, "lti13", "oauth_callback"),
            "public_jwk_url": url_path_join(hub, "lti13", "jwks"),
            "scopes": [c.NRPS_SCOPE],
            "extensions": [
                {
                    "platform": "canvas.instructure.com",
                    "privacy_level": "public",
                    "settings": {
                        # A new tab: JupyterLab refuses to be framed (frame-ancestors
                        # 'self'), and a framed hub's cookies are third-party cookies.
                        "placements": [
                            {
                                "placement": placement,
                                "message_type": "LtiResourceLinkRequest",
                                "windowTarget": "_blank",
                            }
                            for placement in ("course_navigation", "link_selection")
                        ]
                    },
                }
            ],
            "custom_fields": {"notebook": "tutor.ipynb"},
        }
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(config, indent=2))


class JwksHandler(LtiHandler):
    """The tool's public keys: the LMS checks NRPS client assertions against them."""

    async def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(await self.platform_db(keys.jwks)))


HANDLERS = [
    ("/lti13/oauth_login", LoginInitHandler),
    ("/lti13/oauth_callback", CallbackHandler),
    ("/lti13/continue", ContinueHandler),
    ("/lti13/config", ConfigHandler),
    ("/lti13/jwks", JwksHandler),
]
