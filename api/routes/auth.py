"""Routes: registration, login (JSON and OAuth2 form), refresh rotation, logout, own account.

Handlers that need both Postgres and Redis are async and run the database work
(and bcrypt) in the threadpool; the rest are plain `def` handlers.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from ainative import ratelimit
from ainative.auth import users as users_service
from ainative.auth.users import InvalidCredentialsError, TokenPair, revoked_access_key
from ainative.config import Settings
from ainative.db.models import User
from api.deps import (
    AppSettings,
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


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def too_many(verdict: ratelimit.RateLimitResult) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        verdict.detail(),
        headers={"Retry-After": str(verdict.retry_after)},
    )


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
    request: Request, redis: RedisDep, session: Session, settings: Settings, login: str, pw: str
) -> TokenPairPublic:
    account = login.strip().lower()
    verdict = await ratelimit.check_login_allowed(
        redis, ip=client_ip(request), account=account, settings=settings
    )
    if not verdict.allowed:
        raise too_many(verdict)
    try:
        pair = await run_in_threadpool(_authenticate, session, login, pw)
    except InvalidCredentialsError:
        await ratelimit.record_login_failure(redis, account=account, settings=settings)
        raise
    return pair_public(pair)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=error_responses(400, 409, 429),
)
async def register_user(
    body: RegisterCreate,
    request: Request,
    session: SessionDep,
    redis: RedisDep,
    settings: AppSettings,
) -> UserPublic:
    """Create a student account (registration never grants other roles)."""
    verdict = await ratelimit.check_register_allowed(
        redis, ip=client_ip(request), settings=settings
    )
    if not verdict.allowed:
        raise too_many(verdict)
    user = await run_in_threadpool(
        lambda: users_service.create_user(
            session,
            username=body.username,
            email=str(body.email),
            password=body.password,
            roles=("student",),
        )
    )
    return UserPublic.model_validate(user)


@router.post(
    "/login", response_model=TokenPairPublic, responses=error_responses(400, 401, 403, 429)
)
async def login_user(
    body: LoginRequest,
    request: Request,
    session: SessionDep,
    redis: RedisDep,
    settings: AppSettings,
) -> TokenPairPublic:
    """Exchange username (or email) and password for an access and a refresh token."""
    return await _login(request, redis, session, settings, body.login, body.password)


@router.post(
    "/token", response_model=TokenPairPublic, responses=error_responses(400, 401, 403, 429)
)
async def login_form(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    redis: RedisDep,
    settings: AppSettings,
) -> TokenPairPublic:
    """OAuth2 password flow (form fields), for the OpenAPI Authorize button."""
    return await _login(request, redis, session, settings, form.username, form.password)


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
def change_password(body: PasswordChange, user: CurrentUser, session: SessionDep) -> Response:
    """Change the caller's password; every refresh token of theirs stops working."""
    users_service.change_password(
        session,
        user_id=user.id,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
