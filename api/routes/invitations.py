"""Routes: the caller's invitations to courses (ainative.course.invitations).

An instructor's invitation grants nothing until its account accepts it here; then the
account is the course's student (and within its instructors' reach). Only the invited
account sees, accepts or declines an invitation.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from ainative.course import invitations
from api.deps import CurrentUser
from api.schemas.bounds import InvitationIdPath
from api.schemas.courses import InvitationPublic, InvitationsPublic
from api.schemas.errors import error_responses
from api.state import StateDep

router = APIRouter(
    prefix="/api/v1/me/invitations", tags=["me"], responses=error_responses(401, 422, 503)
)
MINE = error_responses(404)


@router.get("", response_model=InvitationsPublic)
async def read_invitations(user: CurrentUser, state: StateDep) -> InvitationsPublic:
    """Your pending invitations to courses."""
    rows = await state.db(invitations.list_invitations, user_id=user.id)
    return InvitationsPublic(
        data=[InvitationPublic.model_validate(r) for r in rows], count=len(rows)
    )


@router.post("/{invitation_id}/accept", status_code=status.HTTP_204_NO_CONTENT, responses=MINE)
async def accept_invitation(
    invitation_id: InvitationIdPath, user: CurrentUser, state: StateDep
) -> Response:
    """Join the course as a student."""
    await state.db(invitations.accept, user_id=user.id, invitation_id=invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{invitation_id}/decline", status_code=status.HTTP_204_NO_CONTENT, responses=MINE)
async def decline_invitation(
    invitation_id: InvitationIdPath, user: CurrentUser, state: StateDep
) -> Response:
    """Drop the invitation; nothing changes in the course."""
    await state.db(invitations.decline, user_id=user.id, invitation_id=invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
