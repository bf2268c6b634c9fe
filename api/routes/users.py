"""Routes: user administration (admins only, enforced once on the router)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy.orm import Session

from ainative.auth import revocation
from ainative.auth import users as users_service
from ainative.course.consent import CONSENT_TEXT_VERSION
from api.deps import AdminUser, require_roles
from api.schemas.bounds import OffsetQuery, UserIdPath
from api.schemas.errors import error_responses
from api.schemas.users import UserCreate, UserPublic, UsersPublic, UserUpdate
from api.state import StateDep

router = APIRouter(
    prefix="/api/v1/users",
    tags=["users"],
    dependencies=[Depends(require_roles("admin"))],
    responses=error_responses(401, 403, 422, 503),
)


def _create(session: Session, body: UserCreate) -> UserPublic:
    user = users_service.create_user(
        session,
        username=body.username,
        email=str(body.email),
        password=body.password,
        roles=body.roles,
        is_verified=body.is_verified,
        research_consent=body.research_consent,
    )
    session.flush()  # the server's defaults (created_at) are read back in this transaction
    return UserPublic.model_validate(user)


def _listing(session: Session, *, offset: int, limit: int) -> UsersPublic:
    users, total = users_service.list_users(session, offset=offset, limit=limit)
    return UsersPublic(
        data=[UserPublic.model_validate(u) for u in users], count=total, offset=offset, limit=limit
    )


def _read(session: Session, *, user_id: int) -> UserPublic:
    user = users_service.get_user(session, user_id=user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {user_id}")
    return UserPublic.model_validate(user)


def _update(
    session: Session, *, user_id: int, actor_id: int, body: UserUpdate
) -> tuple[UserPublic, int]:
    """The account as changed, and its token generation for Redis."""
    user = users_service.update_account(
        session,
        user_id=user_id,
        actor_id=actor_id,
        roles=body.roles,
        is_active=body.is_active,
        is_verified=body.is_verified,
        research_consent=body.research_consent,
        consent_text_version=body.consent_text_version or CONSENT_TEXT_VERSION,
    )
    session.flush()
    return UserPublic.model_validate(user), user.token_generation


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=error_responses(400, 409),
)
async def create_user(body: UserCreate, state: StateDep) -> UserPublic:
    """Create an account with any roles."""
    return await state.db(_create, body)


@router.get("", response_model=UsersPublic)
async def read_users(
    state: StateDep,
    offset: OffsetQuery = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> UsersPublic:
    """List accounts, a page at a time, by id."""
    return await state.db(_listing, offset=offset, limit=limit)


@router.get("/{user_id}", response_model=UserPublic, responses=error_responses(404))
async def read_user(user_id: UserIdPath, state: StateDep) -> UserPublic:
    """One account."""
    return await state.db(_read, user_id=user_id)


@router.patch("/{user_id}", response_model=UserPublic, responses=error_responses(400, 404, 409))
async def update_user(
    user_id: UserIdPath, body: UserUpdate, admin: AdminUser, state: StateDep
) -> UserPublic:
    """Set roles and flags; deactivating cuts off the user's live tokens at once."""
    user, generation = await state.db(_update, user_id=user_id, actor_id=admin.id, body=body)
    await revocation.publish_account(
        state.redis,
        user_id=user_id,
        generation=generation,
        is_active=body.is_active,
        settings=state.settings,
    )
    return user
