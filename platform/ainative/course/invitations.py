"""Course invitations: how an instructor brings an existing account into a course.

An instructor never attaches an account (that would put its server and its password
resets within their reach, issue 20 finding 1); they invite it by id, username or email,
as a student or a teaching assistant (issue 21), and it joins when it accepts
(GET/POST /api/v1/me/invitations). `invite` answers the same whether or not the account
exists, may be invited or is already in the course, so
invitations probe no accounts. An invitation grants nothing (no membership, no hub group)
until accepted. Every step is audit-logged; functions never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from ainative import audit
from ainative.auth.users import get_user_by_login
from ainative.course.courses import add_member, member_role, student_only
from ainative.course.errors import CourseError, InvitationNotFoundError
from ainative.db.models import INVITED_ROLES, Course, CourseInvitation, User

SENT = (
    "if that account exists and may be invited, it has been invited; "
    "it joins the course when it accepts"
)


@dataclass(frozen=True)
class InvitationRow:
    """An invitation as the invited account sees it."""

    id: int
    course_id: int
    course_code: str
    course_title: str
    invited_by: str | None
    created_at: datetime
    role: str = "student"


def invite(
    session: Session,
    *,
    course_id: int,
    actor_id: int,
    user_id: int | None = None,
    login: str | None = None,
    role: str = "student",
) -> str:
    """Invite a student-only account that is not in the course yet, as a student or a
    teaching assistant (`role`); the one reply for all."""
    if role not in INVITED_ROLES:
        raise CourseError(f"an invitation's role must be one of {', '.join(INVITED_ROLES)}")
    if user_id is not None:
        target = session.get(User, user_id)
    else:
        target = get_user_by_login(session, login=login or "")
    if (
        target is None
        or target.id == actor_id
        or not student_only(target.roles)
        or member_role(session, course_id=course_id, user_id=target.id) is not None
    ):
        return SENT
    created = session.execute(
        insert(CourseInvitation)
        .values(course_id=course_id, user_id=target.id, invited_by=actor_id, role=role)
        .on_conflict_do_nothing(constraint="uq_course_invitations_course_user")
        .returning(CourseInvitation.id)
    ).scalar_one_or_none()
    if created is not None:
        audit.record(
            session,
            actor_id=actor_id,
            action="invitation.created",
            course_id=course_id,
            target_user_id=target.id,
            details={"role": role},
        )
    return SENT


def list_invitations(session: Session, *, user_id: int) -> list[InvitationRow]:
    """The account's pending invitations, oldest first."""
    inviter = aliased(User)
    rows = session.execute(
        select(
            CourseInvitation.id,
            Course.id,
            Course.code,
            Course.title,
            inviter.username,
            CourseInvitation.created_at,
            CourseInvitation.role,
        )
        .join(Course, Course.id == CourseInvitation.course_id)
        .outerjoin(inviter, inviter.id == CourseInvitation.invited_by)
        .where(CourseInvitation.user_id == user_id)
        .order_by(CourseInvitation.id)
    ).all()
    return [InvitationRow(*row) for row in rows]


def _take(session: Session, *, user_id: int, invitation_id: int) -> CourseInvitation:
    """The caller's own invitation, deleted from the pending ones; 404 for any other."""
    invitation = session.execute(
        select(CourseInvitation)
        .where(CourseInvitation.id == invitation_id, CourseInvitation.user_id == user_id)
        .with_for_update()
    ).scalar_one_or_none()
    if invitation is None:
        raise InvitationNotFoundError("no such invitation of yours")
    session.delete(invitation)
    return invitation


def accept(session: Session, *, user_id: int, invitation_id: int) -> int:
    """Join the course in the invitation's role (a member already keeps theirs); its id."""
    invitation = _take(session, user_id=user_id, invitation_id=invitation_id)
    course_id = invitation.course_id
    if member_role(session, course_id=course_id, user_id=user_id) is None:
        add_member(session, course_id=course_id, user_id=user_id, role=invitation.role)
    audit.record(
        session,
        actor_id=user_id,
        action="invitation.accepted",
        course_id=course_id,
        target_user_id=user_id,
        details={"invited_by": invitation.invited_by, "role": invitation.role},
    )
    return course_id


def decline(session: Session, *, user_id: int, invitation_id: int) -> None:
    """Drop the invitation; the inviter is not told."""
    invitation = _take(session, user_id=user_id, invitation_id=invitation_id)
    audit.record(
        session,
        actor_id=user_id,
        action="invitation.declined",
        course_id=invitation.course_id,
        target_user_id=user_id,
        details={"invited_by": invitation.invited_by},
    )
