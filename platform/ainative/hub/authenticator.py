"""AINativeAuthenticator: JupyterHub logins checked against the platform's user DB.

`c.JupyterHub.authenticator_class = "ainative"` (entry point in pyproject.toml).
- password form: the same bcrypt hashes and login rate limit as the API;
- `GET /hub/login?token=`: a short-lived, single-use login JWT from POST /api/v1/auth/hub-token;
- inactive accounts are refused, and refresh_user re-checks the DB every auth_refresh_age;
- platform admins are hub admins; student-only accounts enrolled as students form the hub
  group `course-<code>`, instructors get a role with access to that group's servers; every
  other member (instructors, staff enrolled as students) is in `staff-<code>` (model.py);
- the user's API tokens live in encrypted auth_state; the single-user server gets in
  pre_spawn_start only an access token scoped to the tutor widget and a server key that
  renews it (AINATIVE_ACCESS_TOKEN, AINATIVE_SERVER_KEY; ainative.auth.server_tokens), never
  a refresh token, with the API URL and the user's courses (AINATIVE_COURSES).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from jupyterhub.auth import Authenticator
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tornado import web
from traitlets import Bool, Integer, List, Set, Unicode, default, validate

from ainative.auth import users as users_service
from ainative.auth.tokens import TokenError, decode_token
from ainative.config import get_settings
from ainative.db.engine import get_engine, run_in_session
from ainative.hub import accounts, lti, model
from ainative.hub.accounts import Account, ReplayError
from ainative.hub.handlers import TokenLoginHandler, client_ip
from ainative.hub.reset import ResetHandler
from ainative.hub.signup import SignupHandler
from ainative.limits import ratelimit

T = TypeVar("T")
COURSES_ENV = "AINATIVE_COURSES"  # the user's courses, JSON, read by the notebook widget
INACTIVE_MESSAGE = "This account is deactivated. Ask your instructor or an administrator."


class AINativeAuthenticator(Authenticator):  # type: ignore[misc]  # jupyterhub ships no types
    """Log students, instructors and admins in with their platform accounts."""

    database_url = Unicode(
        config=True,
        help="""Platform user database (SQLAlchemy URL). Defaults to DATABASE_URL, the
        same database the API uses; the hub only reads users/courses and records
        used login tokens and refresh-token rows there.""",
    )
    redis_url = Unicode(
        config=True,
        help="""Redis for the login rate limit. Defaults to REDIS_URL; empty disables the
        limit (attempts are then only slowed by bcrypt).""",
    )
    api_url = Unicode(
        config=True,
        help="""URL of the platform API as seen from single-user servers; passed to them
        as AINATIVE_API_URL. Defaults to HUB_API_URL, else http://API_HOST:API_PORT.""",
    )
    allowed_courses = Set(
        Unicode(),
        config=True,
        help="""Course codes whose members may use this hub. Empty (the default) lets every
        active platform user in; admins are always allowed.""",
    ).tag(allow_config=True)
    course_group_prefix = Unicode(
        "course-",
        config=True,
        help="""Prefix of the hub group made from each course membership
        (course CS101 -> group `course-cs101`).""",
    )
    staff_group_prefix = Unicode(
        model.DEFAULT_STAFF_GROUP_PREFIX,
        config=True,
        help="""Prefix of the group holding a course's instructors and any non-student
        account enrolled in it (course CS101 -> `staff-cs101`); no role reaches it.""",
    )
    instructor_scopes = List(
        Unicode(),
        config=True,
        help="""Scopes an instructor gets over their course group, `{group}` standing for
        the group name. The default lets instructors open and inspect their students'
        servers, not start or delete them.""",
    )
    login_rate_limit = Integer(
        config=True,
        help="""Password attempts per IP and per account in one window, shared in spirit
        with the API (LOGIN_RATE_LIMIT). Beyond it the form answers 429.""",
    )
    rate_limit_window_seconds = Integer(
        config=True, help="Length of the rate-limit window (RATE_LIMIT_WINDOW_SECONDS)."
    )
    password_login = Bool(
        config=True,
        help="""Whether the platform's own passwords log in to the hub (HUB_PASSWORD_LOGIN,
        default true). Switch it off when every login goes through the LMS (LTI 1.3) or
        the campus OIDC provider; login links, LTI launches and OIDC keep working.""",
    )

    @default("password_login")
    def _default_password_login(self) -> bool:
        return get_settings().hub_password_login

    @default("database_url")
    def _default_database_url(self) -> str:
        return get_settings().database_url

    @default("redis_url")
    def _default_redis_url(self) -> str:
        return get_settings().redis_url

    @default("api_url")
    def _default_api_url(self) -> str:
        s = get_settings()
        return s.hub_api_url or s.public_api_url or f"http://{s.api_host}:{s.api_port}"

    @default("instructor_scopes")
    def _default_instructor_scopes(self) -> list[str]:
        return list(model.DEFAULT_INSTRUCTOR_SCOPES)

    @default("login_rate_limit")
    def _default_login_rate_limit(self) -> int:
        return get_settings().login_rate_limit

    @default("rate_limit_window_seconds")
    def _default_window(self) -> int:
        return get_settings().rate_limit_window_seconds

    # Platform decisions, not hub configuration: defaults that make the features work.
    @default("allow_all")
    def _default_allow_all(self) -> bool:
        return not (self.allowed_users or self.allowed_courses)

    @default("manage_groups")
    def _default_manage_groups(self) -> bool:
        return True

    @default("manage_roles")
    def _default_manage_roles(self) -> bool:
        return True

    @default("enable_auth_state")
    def _default_enable_auth_state(self) -> bool:
        return True

    @default("refresh_pre_spawn")
    def _default_refresh_pre_spawn(self) -> bool:
        return True

    @default("auth_refresh_strict")
    def _default_auth_refresh_strict(self) -> bool:
        # refresh_user fails only for a deactivated or deleted account: then API tokens
        # (the student's running server) must stop working too, not only the cookie.
        return True

    @default("auth_refresh_age")
    def _default_auth_refresh_age(self) -> int:
        return get_settings().hub_auth_refresh_age

    @validate("database_url")
    def _check_database_url(self, proposal: Any) -> str:
        url = str(proposal["value"])
        if url and not url.startswith(("postgresql", "postgres:")):
            raise ValueError(f"AINativeAuthenticator.database_url must be PostgreSQL, got {url!r}")
        return url

    @validate("course_group_prefix", "staff_group_prefix")
    def _check_prefix(self, proposal: Any) -> str:
        prefix, trait = str(proposal["value"]), proposal["trait"].name
        if not prefix or accounts.course_slug(prefix + "x") != prefix + "x":
            raise ValueError(f"AINativeAuthenticator.{trait} must be lower-case a-z, 0-9 and '-'")
        other = (
            self.staff_group_prefix if trait == "course_group_prefix" else self.course_group_prefix
        )
        if prefix.startswith(other) or other.startswith(prefix):
            # 'course-' and 'course-staff-' would let a course named 'staff-x' share a group.
            raise ValueError(
                f"AINativeAuthenticator.{trait} must not overlap the other group prefix {other!r}"
            )
        return prefix

    # -- plumbing --------------------------------------------------------------------------

    def get_handlers(self, app: Any) -> list[tuple[str, type]]:
        """Token login on /login, the sign-up page /join, one-time password resets, the LTI
        1.3 tool endpoints under /lti13/ (ainative.hub.lti) and campus OIDC (ainative.hub.oidc)
        when configured."""
        from ainative.hub import oidc

        return [
            ("/login", TokenLoginHandler),
            ("/join", SignupHandler),
            ("/reset", ResetHandler),
            *lti.HANDLERS,
            *oidc.handlers(self),
        ]

    def _engine(self) -> Engine:
        """This process's pooled engine for `database_url` (ainative.db.engine caches it)."""
        if not self.database_url:
            raise web.HTTPError(
                500, "AINativeAuthenticator.database_url is empty: set DATABASE_URL for the hub"
            )
        return get_engine(self.database_url)

    def _limiter(self) -> aioredis.Redis | None:
        """The login limit's async Redis client (one per authenticator); None disables it."""
        if not self.redis_url:
            return None
        cached = getattr(self, "_limiter_client", None)
        if cached is None or cached[0] != self.redis_url:
            client = aioredis.Redis.from_url(
                self.redis_url, socket_timeout=2, socket_connect_timeout=2
            )
            cached = self._limiter_client = (self.redis_url, client)
        return cached[1]

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(session, *args)` in a thread inside one transaction (session_scope)."""
        return await run_in_session(self._engine(), fn, *args)

    # -- decisions -------------------------------------------------------------------------

    def group_name(self, code: str) -> str:
        return model.group_name(self.course_group_prefix, code)

    def auth_model(self, account: Account, tokens: dict[str, Any] | None = None) -> dict[str, Any]:
        """The dict JupyterHub stores: name, admin, groups, roles and auth_state."""
        return model.auth_model(
            account,
            group_prefix=self.course_group_prefix,
            staff_prefix=self.staff_group_prefix,
            instructor_scopes=list(self.instructor_scopes),
            tokens=tokens,
        )

    def check_allowed(self, username: str, authentication: dict[str, Any] | None = None) -> bool:
        """allowed_users, or membership in one of allowed_courses; admins always."""
        if username in self.allowed_users:
            return True
        if authentication is None:
            return False
        if authentication.get("admin"):
            return True
        wanted = {
            model.group_name(prefix, code)
            for code in self.allowed_courses
            for prefix in (self.course_group_prefix, self.staff_group_prefix)
        }
        return bool(wanted & set(authentication.get("groups") or ()))

    async def authenticate(self, handler: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        """Token login when `data` carries a token (GET only), else the password form."""
        account: Account | None
        external = data.get(accounts.EXTERNAL_ACCOUNT)
        if isinstance(external, Account):
            # An LTI launch or OIDC login the hub's own handler verified (hub/lti.py,
            # hub/oidc.py); a form field is always a str, so no request can put one here.
            account = external
        elif data.get("token"):
            account = await self._token_account(str(data["token"]))
        elif not self.password_login:
            raise web.HTTPError(
                403, "Passwords are switched off on this hub: log in through your LMS or campus."
            )
        else:
            account = await self._password_account(
                handler, str(data.get("username", "")), str(data.get("password", ""))
            )
            if account is None:
                return None
        if not account.is_active:
            raise web.HTTPError(403, INACTIVE_MESSAGE)
        settings = get_settings()
        previous = await self._previous_state(handler, account.hub_name)

        def finish(session: Session) -> dict[str, Any]:
            accounts.record_login(session, account.id)
            # Logging in again replaces auth_state: the family and server key it held (a
            # running server's) would otherwise stay alive with nothing left to revoke them.
            accounts.retire_refresh_family(session, previous.get("refresh_token"), settings)
            accounts.retire_server_key(session, previous.get("server_key"), settings)
            return accounts.issue_api_tokens(session, account, settings)

        tokens = await self._db(finish)
        return self.auth_model(account, tokens)

    async def _previous_state(self, handler: Any, name: str) -> dict[str, Any]:
        """The hub user's current auth_state ({} if the user does not exist yet)."""
        find_user = getattr(handler, "find_user", None)
        user = find_user(name) if find_user is not None else None
        if user is None:
            return {}
        return dict(await user.get_auth_state() or {})

    async def _password_account(self, handler: Any, username: str, password: str) -> Account | None:
        """The API's login rules (ainative.limits.ratelimit.begin_login): counted before bcrypt."""
        if not username or not password:
            return None
        settings = get_settings()
        ip = client_ip(handler, settings.trusted_proxies)
        client = self._limiter()
        limits = settings.model_copy(
            update={
                "login_rate_limit": self.login_rate_limit,
                "rate_limit_window_seconds": self.rate_limit_window_seconds,
            }
        )
        key = ""
        if client is not None:
            key = await self._db(lambda s: users_service.login_key(s, login=username))
            verdict = await ratelimit.begin_login(client, ip=ip, account=key, settings=limits)
            if not verdict.allowed:
                raise web.HTTPError(429, f"Too many login attempts. {verdict.detail()}.")
        account = await self._db(accounts.check_password, username, password)
        if account is not None and client is not None:
            await ratelimit.finish_login(
                client, ip=ip, account=key, succeeded=True, settings=limits
            )
        return account

    async def _token_account(self, token: str) -> Account:
        try:
            claims = decode_token(token, "login")
        except TokenError as exc:
            raise web.HTTPError(
                403, f"This login link is not valid ({exc}). Ask for a new one."
            ) from exc

        def consume(session: Session) -> Account | None:
            account = accounts.load_account(session, user_id=int(claims["sub"]))
            if account is not None:
                accounts.consume_login_token(session, claims)
            return account

        try:
            account = await self._db(consume)
        except ReplayError as exc:
            raise web.HTTPError(403, f"This login link has already been used ({exc}).") from exc
        if account is None:
            raise web.HTTPError(403, "This login link belongs to an account that no longer exists.")
        return account

    async def refresh_user(self, user: Any, handler: Any = None) -> bool | dict[str, Any]:
        """Re-read the account: gone, deactivated, or a newer token generation (password or
        role change) -> log in again; else fresh groups/roles."""
        state = await user.get_auth_state() or {}
        account = await self._db(
            lambda s: accounts.load_account(s, user_id=state.get("user_id"), username=user.name)
        )
        stale = account is not None and account.generation != int(state.get("gen") or 0)
        if account is None or not account.is_active or account.hub_name != user.name or stale:
            why = "password or roles changed" if stale else "account deactivated or removed"
            self.log.warning("refusing %s: %s", user.name, why)
            if handler is not None and not hasattr(handler, "_token_authenticated"):
                # JupyterHub 6.1 reads this flag, set only for token auth, when a
                # cookie-authenticated refresh fails; without it the request errors out.
                handler._token_authenticated = False
            return False
        return self.auth_model(account)

    async def pre_spawn_start(self, user: Any, spawner: Any) -> None:
        """Give the server its own credentials (ainative.auth.server_tokens): an access token
        scoped to the tutor widget and a server key that renews it, the previous server's
        key retired; the API URL and the user's courses as read now (AINATIVE_COURSES, a
        JSON list of {id, code, title, role}), so the widget can pick the course without a
        request."""
        state = await user.get_auth_state() or {}
        settings = get_settings()

        def mint(session: Session) -> tuple[Account | None, dict[str, Any] | None]:
            account = accounts.load_account(
                session, user_id=state.get("user_id"), username=user.name
            )
            if account is None or not account.is_active:
                return account, None
            # Nothing uses the login's pair once a server runs: it goes, with the previous
            # server's key.
            accounts.retire_refresh_family(session, state.get("refresh_token"), settings)
            accounts.retire_server_key(session, state.get("server_key"), settings)
            return account, accounts.issue_server_tokens(session, account, settings)

        account, tokens = await self._db(mint)
        if tokens is None or account is None:
            raise web.HTTPError(403, INACTIVE_MESSAGE)
        await user.save_auth_state(self.auth_model(account, tokens)["auth_state"])
        spawner.environment.update(
            {
                "AINATIVE_API_URL": self.api_url,
                "AINATIVE_ACCESS_TOKEN": tokens["server_access_token"],
                "AINATIVE_SERVER_KEY": tokens["server_key"],
                COURSES_ENV: json.dumps([c.public() for c in account.courses]),
            }
        )

    async def post_spawn_stop(self, user: Any, spawner: Any) -> None:
        """A stopped server's key dies with it (and the refresh family of a server started
        before servers had keys)."""
        state = await user.get_auth_state() or {}
        settings = get_settings()

        def retire(session: Session) -> None:
            accounts.retire_server_key(session, state.get("server_key"), settings)
            accounts.retire_refresh_family(session, state.get("refresh_token"), settings)

        await self._db(retire)
