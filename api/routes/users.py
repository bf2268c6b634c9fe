"""Routes: user administration (admins only, enforced once on the router)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from ainative.auth import users as users_service
from ainative.auth.users import DuplicateUserError, InvalidUserInput
from ainative.config import get_settings
from ainative.db.models import User
from api.deps import AdminUser, RedisDep, SessionDep, disabled_user_key, require_roles
from api.schemas.users import UserCreate, UserPublic, UsersPublic, UserUpdate

router = APIRouter(
    prefix="/api/v1/users", tags=["users"], dependencies=[Depends(require_roles("admin"))]
)


def _user_or_404(session: Session, user_id: int) -> User:
    user = users_service.get_user(session, user_id=user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {user_id}")
    return user


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UserPublic)
def create_user(body: UserCreate, session: SessionDep) -> UserPublic:
    """Create an account with any roles."""
    try:
        user = users_service.create_user(
            session,
            username=body.username,
            email=str(body.email),
            password=body.password,
            roles=body.roles,
            is_verified=body.is_verified,
            research_consent=body.research_consent,
        )
    except DuplicateUserError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except InvalidUserInput as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc
    return UserPublic.model_validate(user)


@router.get("", response_model=UsersPublic)
def read_users(
    session: SessionDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> UsersPublic:
    """List accounts, a page at a time, by id."""
    users, total = users_service.list_users(session, offset=offset, limit=limit)
    return UsersPublic(
        data=[UserPublic.model_validate(u) for u in users], count=total, offset=offset, limit=limit
    )


@router.get("/{user_id}", response_model=UserPublic)
def read_user(user_id: int, session: SessionDep) -> UserPublic:
    """One account."""
    return UserPublic.model_validate(_user_or_404(session, user_id))


@router.patch("/{user_id}", response_model=UserPublic)
async def update_user(
    user_id: int, body: UserUpdate, admin: AdminUser, session: SessionDep, redis: RedisDep
) -> UserPublic:
    """Set roles and flags; deactivating cuts off the user's live tokens at once."""
    if user_id == admin.id and (
        body.is_active is False or (body.roles is not None and "admin" not in body.roles)
    ):
        raise HTTPException(
            status.HTTP_409_CONFLICT, "admins cannot deactivate or demote themselves"
        )

    def work() -> User:
        user = _user_or_404(session, user_id)
        return users_service.update_user(
            session,
            user=user,
            roles=body.roles,
            is_active=body.is_active,
            is_verified=body.is_verified,
            research_consent=body.research_consent,
        )

    try:
        user = await run_in_threadpool(work)
    except InvalidUserInput as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc
    try:
        if body.is_active is False:
            ttl = get_settings().jwt_access_token_expire_minutes * 60 + 10
            await redis.set(disabled_user_key(user_id), "1", ex=ttl)
        elif body.is_active is True:
            await redis.delete(disabled_user_key(user_id))
    except RedisError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "saved, but live access tokens could not be updated in Redis: repeat the request",
        ) from exc
    return UserPublic.model_validate(user)
