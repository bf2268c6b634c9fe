"""Request dependencies: Redis, settings, the authenticated principal, role checks.

Every client comes from the process's `ApiState` (api.state), opened by the lifespan;
routes reach the database through `state.db` alone.

Authentication reads the access token only (no database round trip); logout,
deactivation and a new token generation (password or role change) take effect
through Redis keys checked in one MGET.

A single-user server holds an access token with scope "tutor" (ainative.auth.server_tokens):
`CurrentUser` refuses it with 403, so every route is closed to it unless it asks for
`TutorUser`, which the widget's endpoints alone do (ask, stream, rate, sessions, quota,
events, the caller's courses). The staff console's token (scope "console") is refused
the same way except by the course routes, which ask for `StaffCaller` (a course role
decides the rest, api.routes.courses.course_access), and `GET courses` (`CourseLister`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from redis.exceptions import RedisError

from ainative.auth.revocation import disabled_user_key, revoked_access_key, token_generation_key
from ainative.auth.tokens import CONSOLE_SCOPE, TUTOR_SCOPE, TokenError, decode_token
from ainative.config import Settings
from ainative.limits.ratelimit import client_address
from api.state import ApiState, StateDep

log = logging.getLogger(__name__)

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the access token says."""

    id: int
    username: str
    roles: tuple[str, ...]
    jti: str
    expires_at: int
    scope: str | None = None  # "tutor": a single-user server's token, the widget's endpoints
    generation: int = 0  # the token's `gen`: older than the user's current one is refused

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


def get_redis(state: StateDep) -> aioredis.Redis:
    return state.redis


def get_app_settings(state: StateDep) -> Settings:
    """The settings the app was built with (tests build apps with their own limits)."""
    return state.settings


def get_client_ip(request: Request, state: StateDep) -> str:
    """The caller's address for rate limits: X-Forwarded-For only from TRUSTED_PROXIES."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    return client_address(peer, forwarded, state.settings.trusted_proxies)


ClientIP = Annotated[str, Depends(get_client_ip)]
RedisDep = Annotated[aioredis.Redis, Depends(get_redis)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers=UNAUTHORIZED_HEADERS)


SERVER_TOKEN_REFUSED = (
    "this is a notebook server's token: it may only use the tutor (ask, stream, rate, "
    "events, quota); log in to the platform for your account"
)

CONSOLE_TOKEN_REFUSED = (
    "this is the staff console's token: it may only use the course routes; "
    "log in to the platform for your account"
)


def verified_principal(token: str, state: ApiState) -> Principal:
    """The token's principal: its signature and claims verified once per process
    (ainative.auth.verified), TokenError when they do not hold."""
    principal = state.verified_tokens.get(token)
    if principal is None:
        claims = decode_token(token, "access")
        principal = Principal(
            id=int(claims["sub"]),
            username=str(claims.get("username", "")),
            roles=tuple(claims.get("roles") or ()),
            jti=str(claims["jti"]),
            expires_at=int(claims["exp"]),
            scope=str(claims["scope"]) if claims.get("scope") else None,
            generation=int(claims.get("gen") or 0),
        )
        state.verified_tokens.put(token, principal.expires_at, principal)
    return principal


async def get_any_caller(
    request: Request,
    state: StateDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """The caller from a valid, unrevoked access token of any scope, else 401."""
    if not token:
        raise unauthorized("not authenticated: send 'Authorization: Bearer <access token>'")
    try:
        principal = verified_principal(token, state)
    except TokenError as exc:
        raise unauthorized(str(exc)) from exc
    redis = state.redis
    try:
        revoked, disabled, generation = await redis.mget(
            revoked_access_key(principal.jti),
            disabled_user_key(principal.id),
            token_generation_key(principal.id),
        )
    except RedisError:
        # Access tokens are short-lived; a Redis outage degrades revocation, not logins.
        log.warning("revocation check skipped: Redis unavailable")
        revoked = disabled = generation = None
    if revoked:
        raise unauthorized("token has been revoked: log in again")
    if disabled:
        raise unauthorized("account is deactivated")
    if generation is not None and principal.generation < int(generation):
        raise unauthorized(
            "your password or roles changed since this token was issued: log in again"
        )
    request.state.user_id = principal.id
    return principal


async def get_tutor_user(caller: Annotated[Principal, Depends(get_any_caller)]) -> Principal:
    """A full access token or a server's (scope "tutor"): the widget's endpoints."""
    if caller.scope not in (None, TUTOR_SCOPE):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"token scope {caller.scope!r} not allowed")
    return caller


async def get_current_user(caller: Annotated[Principal, Depends(get_any_caller)]) -> Principal:
    """The caller with a full access token: a server's scoped token is refused with 403."""
    if caller.scope == CONSOLE_SCOPE:
        raise HTTPException(status.HTTP_403_FORBIDDEN, CONSOLE_TOKEN_REFUSED)
    if caller.scope is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, SERVER_TOKEN_REFUSED)
    return caller


async def get_staff_caller(caller: Annotated[Principal, Depends(get_any_caller)]) -> Principal:
    """A full access token or the staff console's (scope "console"): course routes."""
    if caller.scope not in (None, CONSOLE_SCOPE):
        raise HTTPException(status.HTTP_403_FORBIDDEN, SERVER_TOKEN_REFUSED)
    return caller


async def get_course_lister(caller: Annotated[Principal, Depends(get_any_caller)]) -> Principal:
    """Any of the three tokens: `GET courses`, the list both the widget and the console read."""
    if caller.scope not in (None, TUTOR_SCOPE, CONSOLE_SCOPE):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"token scope {caller.scope!r} not allowed")
    return caller


CurrentUser = Annotated[Principal, Depends(get_current_user)]
TutorUser = Annotated[Principal, Depends(get_tutor_user)]
StaffCaller = Annotated[Principal, Depends(get_staff_caller)]
CourseLister = Annotated[Principal, Depends(get_course_lister)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only callers holding one of `roles`."""

    async def check(user: CurrentUser) -> Principal:
        if not user.has_role(*roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"requires role: {' or '.join(roles)}")
        return user

    return check


AdminUser = Annotated[Principal, Depends(require_roles("admin"))]


async def get_staff_admin(caller: StaffCaller) -> Principal:
    """An admin with a full token or the console's: creating courses from the console."""
    if not caller.has_role("admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "requires role: admin")
    return caller


StaffAdmin = Annotated[Principal, Depends(get_staff_admin)]
