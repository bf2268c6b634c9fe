"""Campus single sign-on: OpenID Connect through oauthenticator's GenericOAuthenticator.

The hub's authenticator stays AINativeAuthenticator; when OIDC_ISSUER is set it adds
`/hub/oauth_login` and `/hub/oauth_callback` (oauthenticator's paths), driven by a
GenericOAuthenticator configured the usual way (`c.GenericOAuthenticator.client_id`,
`authorize_url`, `token_url`, `userdata_url`, `oauth_callback_url`, `scope`; the
OAUTH_* settings fill them in jupyterhub_config.py). It does the code exchange and
userinfo request (with state and PKCE); the account is then found by (issuer, `sub`).
A first sign-in asks, as a first LTI launch does (the same page, lti_choose.html): a new
account (ainative.lti.identities), or an existing one linked by its own password
(/hub/oauth_continue); never matched by e-mail.
"""

from __future__ import annotations

import json
from typing import Any

from jupyterhub.handlers.base import BaseHandler
from oauthenticator.generic import GenericOAuthenticator
from oauthenticator.oauth2 import (
    OAuthCallbackHandler,
    OAuthLoginHandler,
    _serialize_state,
)
from sqlalchemy.orm import Session
from tornado import web

from ainative.config import get_settings
from ainative.hub import accounts
from ainative.hub.accounts import Account
from ainative.lti import identities


def campus(authenticator: Any) -> GenericOAuthenticator:
    """The GenericOAuthenticator that speaks to the campus provider (one per hub)."""
    inner = getattr(authenticator, "_campus_oauth", None)
    if inner is None:
        inner = GenericOAuthenticator(parent=authenticator, enable_pkce=True)
        authenticator._campus_oauth = inner
    return inner


def handlers(authenticator: Any) -> list[tuple[str, type]]:
    """The OIDC endpoints when OIDC_ISSUER is set, else none."""
    if not get_settings().oidc_issuer:
        return []
    return [
        ("/oauth_login", CampusLoginHandler),
        ("/oauth_callback", CampusCallbackHandler),
        ("/oauth_continue", CampusContinueHandler),
    ]


PENDING_COOKIE = "ainative-oidc-pending"
PENDING_MINUTES = 10


def pending_identity(user_info: dict[str, Any]) -> dict[str, str]:
    """What a first sign-in keeps until the person chooses (a signed cookie)."""
    subject = str(user_info.get("sub") or "")
    if not subject:
        raise web.HTTPError(403, "The campus provider sent no `sub`: cannot tell who you are.")
    return {
        "sub": subject,
        "name": str(user_info.get("name") or "")[:200],
        "email": str(user_info.get("email") or "")[:320] if user_info.get("email_verified") else "",
        "username_hint": str(user_info.get("preferred_username") or "")[:64],
    }


def known_account(session: Session, issuer: str, subject: str) -> Account | None:
    user_id = identities.find_user_id(session, issuer=issuer, subject=subject)
    return accounts.load_account(session, user_id=user_id) if user_id is not None else None


def new_account(session: Session, issuer: str, pending: dict[str, str]) -> Account | None:
    """The person chose a new account for their campus identity."""
    found = known_account(session, issuer, pending["sub"])
    if found is not None:
        return found
    user = identities.create_account(
        session,
        issuer=issuer,
        subject=pending["sub"],
        kind="oidc",
        name=pending.get("name", ""),
        email=pending.get("email", ""),
        username_hint=pending.get("username_hint", ""),
    )
    return accounts.load_account(session, user_id=user.id)


class CampusSignIn:
    """Shared by the callback and the choice: log an account in and go on."""

    async def finish_sign_in(self, handler: Any, account: Account, next_url: str) -> None:
        user = await handler.login_user({accounts.EXTERNAL_ACCOUNT: account})
        if user is None:
            raise web.HTTPError(403, "This account may not use this hub.")
        handler.clear_cookie(PENDING_COOKIE, path=handler.hub.base_url)
        handler.redirect(next_url or handler.get_next_url(user))

    async def choose(self, handler: Any, pending: dict[str, str], error: str = "") -> None:
        handler.set_header("Cache-Control", "no-store")
        page = await handler.render_template(
            "lti_choose.html",
            step="account",
            launch={"name": pending.get("name", "")},
            courses=[],
            error=error,
            action=handler.hub.base_url + "oauth_continue",
        )
        handler.finish(page)


class CampusLoginHandler(OAuthLoginHandler):  # type: ignore[misc]  # no types
    """Send the browser to the campus provider, state and PKCE verifier in a cookie."""

    @property
    def _OAUTH_AUTHORIZE_URL(self) -> str:
        return str(campus(self.authenticator).authorize_url)

    def get(self) -> None:
        oauth = campus(self.authenticator)
        params = dict(oauth.extra_authorize_params)
        state = {"state_id": self._generate_state_id(), "next_url": self._get_next_url()}
        verifier, challenge = self._generate_pkce_params()
        state["code_verifier"] = verifier
        params.update(code_challenge=challenge, code_challenge_method="S256")
        self.set_state_cookie(_serialize_state(state))
        params["state"] = _serialize_state({"state_id": state["state_id"]})
        self.authorize_redirect(
            redirect_uri=oauth.get_callback_url(self),
            client_id=oauth.client_id,
            scope=oauth.scope,
            extra_params=params,
            response_type="code",
        )


class CampusCallbackHandler(OAuthCallbackHandler, CampusSignIn):  # type: ignore[misc]
    """Exchange the code, read userinfo; a known (issuer, sub) logs in, a new one chooses."""

    async def get(self) -> None:
        self.check_arguments()  # error, code, state = cookie
        oauth = campus(self.authenticator)
        params = oauth.build_access_tokens_request_params(self, None)
        token_info = await oauth.get_token_info(self, params)
        pending = pending_identity(dict(await oauth.token_to_user(token_info)))
        issuer = get_settings().oidc_issuer
        account = await self.authenticator._db(known_account, issuer, pending["sub"])
        next_url = self.get_next_url()
        if account is not None:
            await self.finish_sign_in(self, account, next_url)
            return
        value = json.dumps({**pending, "next": next_url})
        self.set_secure_cookie(
            PENDING_COOKIE, value, expires_days=None, path=self.hub.base_url, httponly=True
        )
        await self.choose(self, pending)


class CampusContinueHandler(BaseHandler, CampusSignIn):  # type: ignore[misc]
    """A first campus sign-in's choice: a new account, or link one by its own password."""

    async def post(self) -> None:
        raw = self.get_secure_cookie(PENDING_COOKIE, max_age_days=PENDING_MINUTES / 1440)
        pending = json.loads(raw) if raw else None
        if not isinstance(pending, dict) or not pending.get("sub"):
            raise web.HTTPError(403, "This sign-in has expired; sign in with your campus again.")
        issuer = get_settings().oidc_issuer
        choice = self.get_body_argument("choice", default="")
        account: Account | None
        if choice == "new-account":
            account = await self.authenticator._db(new_account, issuer, pending)
        elif choice == "link-account":
            account = await self.authenticator._password_account(
                self,
                self.get_body_argument("username", default="").strip(),
                self.get_body_argument("password", default=""),
            )
            if account is None:
                self.set_status(403)
                await self.choose(self, pending, error="Wrong username or password.")
                return
            linked = account

            def link(session: Session) -> None:
                identities.link_identity(
                    session, issuer=issuer, subject=pending["sub"], kind="oidc", user_id=linked.id
                )

            await self.authenticator._db(link)
        else:
            raise web.HTTPError(400, "Choose one of the offered options.")
        if account is None:
            raise web.HTTPError(403, "This account no longer exists.")
        await self.finish_sign_in(self, account, str(pending.get("next") or ""))
