"""Routes: registration, login (JSON and OAuth2 form), refresh rotation, logout, own account.

Handlers that need both Postgres and Redis are async and run the database work
(and bcrypt) in the threadpool; the rest are plain `def` handlers.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from ainative.auth import registration
from ainative.auth import users as users_service
from ainative.auth.users import TokenPair, revoked_access_key
from ainative.config import Settings
from ainative.db.models import User
from ainative.limits import ratelimit
from ainative.limits.errors import RateLimitedError
from api.deps import (
    AppSettings,
    ClientIP,
    CurrentUser,
    RedisDep,
    SessionDep,
    unauthorized,
)
from api.schemas.auth import (
    LoginRequest,
    LogoutRequest,
    PasswordChange,
    RefreshRequest,
    RegisterCreate,
    TokenPairPublic,
)
from api.schemas.errors import error_responses
from api.schemas.users import UserPublic, UserSelfUpdate

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=error_responses(422, 503))
log = logging.getLogger(__name__)


def pair_public(pair: TokenPair) -> TokenPairPublic:
    return TokenPairPublic(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
    )


def _authenticate(session: Session, login: str, password: str) -> TokenPair:
    user = users_service.authenticate(session, login=login, password=password)
    return users_service.issue_tokens(session, user=user)


async def _login(
    ip: str, redis: RedisDep, session: Session, settings: Settings, login: str, pw: str
) -> TokenPairPublic:
    """Count the attempt first (ainative.limits.ratelimit.begin_login), then check the password."""
    account = await run_in_threadpool(lambda: users_service.login_key(session, login=login))
    verdict = await ratelimit.begin_login(redis, ip=ip, account=account, settings=settings)
    if not verdict.allowed:
        raise RateLimitedError(verdict)
    pair = await run_in_threadpool(_authenticate, session, login, pw)
    await ratelimit.finish_login(redis, ip=ip, account=account, succeeded=True, settings=settings)
    return pair_public(pair)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=error_responses(400, 409, 429),
)
async def register_user(
    body: RegisterCreate,
    ip: ClientIP,
    session: SessionDep,
    redis: RedisDep,
    settings: AppSettings,
) -> UserPublic:
    """Create a student account as REGISTRATION allows (open, course-code, closed).

    With a course's join code the account is enrolled in that course as a student. Every
    attempt, a wrong code too, counts against the caller's address (REGISTER_RATE_LIMIT).
    """
    verdict = await ratelimit.check_register_allowed(redis, ip=ip, settings=settings)
    if not verdict.allowed:
        raise RateLimitedError(verdict)
    user = await run_in_threadpool(
        lambda: registration.register(
            session,
            mode=settings.registration_mode,
            username=body.username,
            email=str(body.email),
            password=body.password,
            join_code=body.join_code,
        )
    )
    return UserPublic.model_validate(user)


@router.post(
    "/login", response_model=TokenPairPublic, responses=error_responses(400, 401, 403, 429)
)
async def login_user(
    body: LoginRequest,
    ip: ClientIP,
    session: SessionDep,
    redis: RedisDep,
    settings: AppSettings,
) -> TokenPairPublic:
    """Exchange username (or email) and password for an access and a refresh token."""
    return await _login(ip, redis, session, settings, body.login, body.password)


@router.post(
    "/token", response_model=TokenPairPublic, responses=error_responses(400, 401, 403, 429)
)
async def login_form(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    ip: ClientIP,
    session: SessionDep,
    redis: RedisDep,
    settings: AppSettings,
) -> TokenPairPublic:
    """OAuth2 password flow (form fields), for the OpenAPI Authorize button."""
    return await _login(ip, redis, session, settings, form.username, form.password)


@router.post("/refresh", response_model=TokenPairPublic, responses=error_responses(400, 401))
def refresh_tokens(body: RefreshRequest, session: SessionDep) -> TokenPairPublic:
    """Rotate a refresh token; reusing an old one revokes the whole login."""
    _, pair = users_service.rotate_refresh_token(session, token=body.refresh_token)
    return pair_public(pair)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(400, 401))
async def logout_user(
    user: CurrentUser, session: SessionDep, redis: RedisDep, body: LogoutRequest | None = None
) -> Response:
    """Revoke this access token at once and, if sent, the refresh token's family."""
    ttl = max(1, user.expires_at - int(time.time()) + 5)
    try:
        await redis.set(revoked_access_key(user.jti), "1", ex=ttl)
    except RedisError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "could not revoke the token now: try again"
        ) from exc
    token = body.refresh_token if body else None
    if token:
        await run_in_threadpool(
            lambda: users_service.revoke_refresh_token(session, token=token, user_id=user.id)
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _own_account(session: Session, user_id: int) -> User:
    account = users_service.get_user(session, user_id=user_id)
    if account is None:
        raise unauthorized("account no longer exists")
    return account


@router.get("/me", response_model=UserPublic, responses=error_responses(401))
def read_me(user: CurrentUser, session: SessionDep) -> UserPublic:
    """The caller's own account."""
    return UserPublic.model_validate(_own_account(session, user.id))


@router.patch("/me", response_model=UserPublic, responses=error_responses(400, 401))
def update_me(body: UserSelfUpdate, user: CurrentUser, session: SessionDep) -> UserPublic:
    """Let callers give or withdraw their own research consent."""
    account = _own_account(session, user.id)
    users_service.update_user(session, user=account, research_consent=body.research_consent)
    return UserPublic.model_validate(account)


@router.post(
    "/change-password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(400, 401),
)
async def change_password(
    body: PasswordChange,
    user: CurrentUser,
    session: SessionDep,
    redis: RedisDep,
    settings: AppSettings,
) -> Response:
    """Change the caller's password; every token of theirs, this one included, stops working."""
    account = await run_in_threadpool(
        lambda: users_service.change_password(
            session,
            user_id=user.id,
            current_password=body.current_password,
            new_password=body.new_password,
        )
    )
    try:
        await users_service.publish_generation(
            redis, user_id=user.id, generation=account.token_generation, settings=settings
        )
    except RedisError:
        log.warning("password changed, but older access tokens live until they expire")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
