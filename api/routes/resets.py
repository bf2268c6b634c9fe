"""Routes: one-time password reset links (ainative.auth.resets), for students without e-mail.

Admins for any account, instructors for the student-only accounts in their courses (never
a course's assistants). The link opens the hub's reset page; the token is shown only in
this answer. The staff console's token may ask for one (`StaffCaller`).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ainative.auth import resets
from ainative.auth import users as users_service
from api.deps import Principal, StaffCaller
from api.routes.hub import hub_public_url
from api.schemas.bounds import UserIdPath
from api.schemas.errors import error_responses
from api.state import StateDep

router = APIRouter(
    prefix="/api/v1/users", tags=["users"], responses=error_responses(401, 403, 422, 503)
)


class ResetLinkPublic(BaseModel):
    user_id: int
    reset_url: str
    expires_at: datetime


def _create_link(session: Session, *, user_id: int, caller: Principal) -> tuple[str, datetime]:
    user = users_service.get_user(session, user_id=user_id)
    allowed = user is not None and resets.may_reset(
        session, actor_id=caller.id, actor_roles=caller.roles, user=user
    )
    if not allowed:
        # The same answer for "no such user" and "not yours": ids are not probed this way.
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "you may create reset links only for students in your own courses",
        )
    return resets.create_reset_link(session, user_id=user_id, created_by=caller.id)


@router.post(
    "/{user_id}/reset-link", status_code=status.HTTP_201_CREATED, response_model=ResetLinkPublic
)
async def create_reset_link(
    user_id: UserIdPath, caller: StaffCaller, state: StateDep
) -> ResetLinkPublic:
    """A one-time link (valid 24 h) with which the student sets a new password on the hub."""
    token, expires_at = await state.db(_create_link, user_id=user_id, caller=caller)
    url = f"{hub_public_url(state.settings)}/hub/reset?{urlencode({'token': token})}"
    return ResetLinkPublic(user_id=user_id, reset_url=url, expires_at=expires_at)
