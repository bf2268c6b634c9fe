"""One-time password reset links, for students without e-mail: staff hand the link over.

An admin, or an instructor for a student-only account enrolled as a student in one of
their courses, creates a link (valid at most RESET_LINK_HOURS, single use). Only the
SHA-256 of its token is stored, with its expiry and the moment it was used. Using it sets
the new password through users.set_password: every refresh token is revoked and the new
token generation ends hub sessions and live access tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from ainative.auth.errors import InvalidUserInput, ResetLinkError, UserNotFoundError
from ainative.auth.passwords import password_problem
from ainative.auth.users import set_password
from ainative.course.courses import student_only
from ainative.db.models import Membership, PasswordReset, User

RESET_LINK_HOURS = 24
UNKNOWN = "this reset link is not valid: ask your instructor for a new one"
USED = "this reset link has already been used: ask your instructor for a new one"
EXPIRED = "this reset link has expired: ask your instructor for a new one"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_reset(session: Session, *, actor_id: int, actor_roles: Iterable[str], user: User) -> bool:
    """Admins for anyone; instructors for student-only accounts they teach."""
    if "admin" in set(actor_roles):
        return True
    if not student_only(user.roles):
        return False
    staff, student = aliased(Membership), aliased(Membership)
    query = (
        select(staff.course_id)
        .join(student, student.course_id == staff.course_id)
        .where(staff.user_id == actor_id, staff.role == "instructor")
        .where(student.user_id == user.id, student.role == "student")
        .limit(1)
    )
    return session.execute(query).first() is not None


def create_reset_link(
    session: Session, *, user_id: int, created_by: int | None, hours: int = RESET_LINK_HOURS
) -> tuple[str, datetime]:
    """A new link's token (shown once) and its expiry; earlier unused links stay valid."""
    if session.get(User, user_id) is None:
        raise UserNotFoundError(f"no user with id {user_id}")
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + timedelta(hours=min(hours, RESET_LINK_HOURS))
    session.add(
        PasswordReset(
            user_id=user_id,
            token_hash=token_hash(token),
            created_by=created_by,
            expires_at=expires_at,
        )
    )
    return token, expires_at


def find_reset(session: Session, token: str) -> tuple[PasswordReset, User]:
    """The link's row and account if it can still be used; ResetLinkError says why not."""
    row = session.execute(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    ).scalar_one_or_none()
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None:
        raise ResetLinkError(UNKNOWN)
    if row.used_at is not None:
        raise ResetLinkError(USED)
    if row.expires_at <= datetime.now(UTC):
        raise ResetLinkError(EXPIRED)
    return row, user


def use_reset_link(session: Session, *, token: str, new_password: str) -> User:
    """Set the new password once; a second use, or one after expiry, is refused."""
    row, user = find_reset(session, token)
    problem = password_problem(new_password)
    if problem:
        raise InvalidUserInput(problem)
    # Claim the link atomically: of two concurrent uses, only one updates the row.
    claimed = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
        .values(used_at=datetime.now(UTC))
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ResetLinkError(USED)
    return set_password(session, user=user, new_password=new_password)
