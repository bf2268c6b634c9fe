"""Routes: registration, login (JSON and OAuth2 form), refresh rotation, logout, own account.

Every handler is async and reaches the database through `state.db` alone, one
transaction per call (bcrypt runs inside it, in the worker thread); no connection is
held while a handler awaits Redis.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from ainative.auth import refresh_tokens as refresh_service
from ainative.auth import registration, revocation, server_tokens
from ainative.auth import users as users_service
from ainative.auth.refresh_tokens import TokenPair
from ainative.course.consent import CONSENT_TEXT_VERSION
from ainative.db.models import User
from ainative.limits import ratelimit
from ainative.limits.errors import RateLimitedError
from api.deps import ClientIP, CurrentUser, unauthorized
from api.schemas.auth import (
    LoginRequest,
    LogoutRequest,
    PasswordChange,
    RefreshRequest,
    RegisterCreate,
    ServerTokenPublic,
    ServerTokenRequest,
    TokenPairPublic,
)
from api.schemas.errors import error_responses
from api.schemas.users import UserPublic, UserSelfUpdate
from api.state import ApiState, StateDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=error_responses(422, 503))
log = logging.getLogger(__name__)


def pair_public(pair: TokenPair) -> TokenPairPublic:
    return TokenPairPublic(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
    )


def _authenticate(session: Session, *, login: str, password: str) -> TokenPair:
    user = users_service.authenticate(session, login=login, password=password)
    return refresh_service.issue_tokens(session, user=user)


async def _login(state: ApiState, ip: str, login: str, password: str) -> TokenPairPublic:
    """Count the attempt first (ainative.limits.ratelimit.begin_login), then check the password.

    The account's key and the password check are two transactions: none is open while the
    attempt is counted in Redis (or slowed down, under attack).
    """
    redis, settings = state.redis, state.settings
    account = await state.db(users_service.login_key, login=login)
    verdict = await ratelimit.begin_login(redis, ip=ip, account=account, settings=settings)
    if not verdict.allowed:
        raise RateLimitedError(verdict)
    pair = await state.db(_authenticate, login=login, password=password)
    await ratelimit.finish_login(redis, ip=ip, account=account, succeeded=True, settings=settings)
    return pair_public(pair)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=error_responses(400, 409, 429),
)
async def register_user(body: RegisterCreate, ip: ClientIP, state: StateDep) -> UserPublic:
    """Create a student account as REGISTRATION allows (open, course-code, closed).

    With a course's join code the account is enrolled in that course as a student. Every
    attempt, a wrong code too, counts against the caller's address (REGISTER_RATE_LIMIT).
    """
    verdict = await ratelimit.check_register_allowed(state.redis, ip=ip, settings=state.settings)
    if not verdict.allowed:
        raise RateLimitedError(verdict)
    return await state.db(
        _register,
        mode=state.settings.registration_mode,
        username=body.username,
        email=str(body.email),
        password=body.password,
        join_code=body.join_code,
    )


def _register(
    session: Session,
    *,
    mode: registration.RegistrationMode,
    username: str,
    email: str,
    password: str,
    join_code: str | None,
) -> UserPublic:
    user = registration.register(
        session, mode=mode, username=username, email=email, password=password, join_code=join_code
    )
    session.flush()  # the server's defaults (created_at) are read back in this transaction
    return UserPublic.model_validate(user)


@router.post(
    "/login", response_model=TokenPairPublic, responses=error_responses(400, 401, 403, 429)
)
async def login_user(body: LoginRequest, ip: ClientIP, state: StateDep) -> TokenPairPublic:
    """Exchange username (or email) and password for an access and a refresh token."""
    return await _login(state, ip, body.login, body.password)


@router.post(
    "/token", response_model=TokenPairPublic, responses=error_responses(400, 401, 403, 429)
)
async def login_form(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], ip: ClientIP, state: StateDep
) -> TokenPairPublic:
    """OAuth2 password flow (form fields), for the OpenAPI Authorize button."""
    return await _login(state, ip, form.username, form.password)


@router.post("/refresh", response_model=TokenPairPublic, responses=error_responses(400, 401))
async def refresh_tokens(body: RefreshRequest, state: StateDep) -> TokenPairPublic:
    """Rotate a refresh token; reusing an old one revokes the whole login."""
    rotation = await state.db(refresh_service.rotate_refresh_token, token=body.refresh_token)
    return pair_public(rotation.pair_or_raise())  # a refusal's revocation is committed first


@router.post("/server-token", response_model=ServerTokenPublic, responses=error_responses(400, 401))
async def renew_server_token(body: ServerTokenRequest, state: StateDep) -> ServerTokenPublic:
    """A single-user server's fresh scoped access token for its server key (no rotation:
    any number of kernels may renew at once)."""
    token, expires_in = await state.db(server_tokens.renew_server_token, server_key=body.server_key)
    return ServerTokenPublic(access_token=token, expires_in=expires_in)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(400, 401))
async def logout_user(
    user: CurrentUser, state: StateDep, body: LogoutRequest | None = None
) -> Response:
    """Revoke this access token at once and, if sent, the refresh token's family."""
    try:
        await revocation.revoke_access_token(
            state.redis, jti=user.jti, ttl=user.expires_at - int(time.time()) + 5
        )
    except RedisError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "could not revoke the token now: try again"
        ) from exc
    token = body.refresh_token if body else None
    if token:
        await state.db(refresh_service.revoke_refresh_token, token=token, user_id=user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _own_account(session: Session, user_id: int) -> User:
    account = users_service.get_user(session, user_id=user_id)
    if account is None:
        raise unauthorized("account no longer exists")
    return account


def _read_me(session: Session, *, user_id: int) -> UserPublic:
    return UserPublic.model_validate(_own_account(session, user_id))


def _update_me(session: Session, *, user_id: int, body: UserSelfUpdate) -> UserPublic:
    account = _own_account(session, user_id)
    users_service.update_user(
        session,
        user=account,
        research_consent=body.research_consent,
        consent_by=("student", user_id),
        consent_text_version=body.consent_text_version or CONSENT_TEXT_VERSION,
    )
    session.flush()
    return UserPublic.model_validate(account)


@router.get("/me", response_model=UserPublic, responses=error_responses(401))
async def read_me(user: CurrentUser, state: StateDep) -> UserPublic:
    """The caller's own account."""
    return await state.db(_read_me, user_id=user.id)


@router.patch("/me", response_model=UserPublic, responses=error_responses(400, 401))
async def update_me(body: UserSelfUpdate, user: CurrentUser, state: StateDep) -> UserPublic:
    """Let callers give or withdraw their own research consent."""
    return await state.db(_update_me, user_id=user.id, body=body)


@router.post(
    "/change-password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(400, 401, 429),
)
async def change_password(
    body: PasswordChange, user: CurrentUser, ip: ClientIP, state: StateDep
) -> Response:
    """Change the caller's password; every token of theirs, this one included, stops working.

    Attempts are counted before the current password is checked, per address and per
    account, in the login windows: past LOGIN_RATE_LIMIT a window answers 429.
    """
    redis, settings = state.redis, state.settings
    verdict = await ratelimit.begin_password_change(
        redis, ip=ip, user_id=user.id, settings=settings
    )
    if not verdict.allowed:
        raise RateLimitedError(verdict)
    account = await state.db(
        users_service.change_password,
        user_id=user.id,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    await ratelimit.finish_password_change(redis, ip=ip, user_id=user.id, settings=settings)
    try:
        await revocation.publish_generation(
            state.redis,
            user_id=user.id,
            generation=account.token_generation,
            settings=state.settings,
        )
    except RedisError:
        log.warning("password changed, but older access tokens live until they expire")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
