"""Routes: user administration (admins only, enforced once on the router)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from ainative.auth import users as users_service
from api.deps import AdminUser, AppSettings, RedisDep, SessionDep, require_roles
from api.schemas.bounds import OffsetQuery, UserIdPath
from api.schemas.errors import error_responses
from api.schemas.users import UserCreate, UserPublic, UsersPublic, UserUpdate

router = APIRouter(
    prefix="/api/v1/users",
    tags=["users"],
    dependencies=[Depends(require_roles("admin"))],
    responses=error_responses(401, 403, 422, 503),
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=error_responses(400, 409),
)
def create_user(body: UserCreate, session: SessionDep) -> UserPublic:
    """Create an account with any roles."""
    user = users_service.create_user(
        session,
        username=body.username,
        email=str(body.email),
        password=body.password,
        roles=body.roles,
        is_verified=body.is_verified,
        research_consent=body.research_consent,
    )
    return UserPublic.model_validate(user)


@router.get("", response_model=UsersPublic)
def read_users(
    session: SessionDep,
    offset: OffsetQuery = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> UsersPublic:
    """List accounts, a page at a time, by id."""
    users, total = users_service.list_users(session, offset=offset, limit=limit)
    return UsersPublic(
        data=[UserPublic.model_validate(u) for u in users], count=total, offset=offset, limit=limit
    )


@router.get("/{user_id}", response_model=UserPublic, responses=error_responses(404))
def read_user(user_id: UserIdPath, session: SessionDep) -> UserPublic:
    """One account."""
    user = users_service.get_user(session, user_id=user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {user_id}")
    return UserPublic.model_validate(user)


@router.patch("/{user_id}", response_model=UserPublic, responses=error_responses(400, 404, 409))
async def update_user(
    user_id: UserIdPath,
    body: UserUpdate,
    admin: AdminUser,
    session: SessionDep,
    redis: RedisDep,
    settings: AppSettings,
) -> UserPublic:
    """Set roles and flags; deactivating cuts off the user's live tokens at once."""
    user = await users_service.update_account(
        session,
        redis,
        user_id=user_id,
        actor_id=admin.id,
        roles=body.roles,
        is_active=body.is_active,
        is_verified=body.is_verified,
        research_consent=body.research_consent,
        settings=settings,
    )
    return UserPublic.model_validate(user)
