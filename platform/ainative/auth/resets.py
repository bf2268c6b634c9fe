"""One-time password reset links, for students without e-mail: staff hand the link over.

An admin, or an instructor for a student-only account enrolled as a student in one of
their courses, creates a link (valid at most RESET_LINK_HOURS, single use). Only the
SHA-256 of its token is stored, with its expiry, the account's token generation and the
moment it was used. A new link replaces the account's older ones (one live link each).

Every use re-checks the link as of now (issue 20, finding 3): the account's generation
must be unchanged (no password, role or activation change since), and its creator must
still be allowed to reset it (`may_reset`: still an admin, or still an instructor
teaching it). Using it sets the new password through users.set_password: every refresh
token is revoked and the new token generation ends hub sessions and live access tokens.
Creating and using a link are audit-logged.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from ainative import audit
from ainative.auth.errors import InvalidUserInput, ResetLinkError, UserNotFoundError
from ainative.auth.passwords import password_problem
from ainative.auth.users import set_password
from ainative.course.courses import student_only
from ainative.db.models import Membership, PasswordReset, User

RESET_LINK_HOURS = 24
UNKNOWN = "this reset link is not valid: ask your instructor for a new one"
USED = "this reset link has already been used: ask your instructor for a new one"
EXPIRED = "this reset link has expired: ask your instructor for a new one"
REPLACED = "this reset link was replaced by a newer one: use the newest link you were given"
STALE = "this reset link no longer applies (the account changed): ask your instructor for a new one"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_reset(session: Session, *, actor_id: int, actor_roles: Iterable[str], user: User) -> bool:
    """Admins for anyone; instructors for student-only accounts they teach."""
    roles = set(actor_roles)
    if "admin" in roles:
        return True
    if "instructor" not in roles or not student_only(user.roles):
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
    """A new link's token (shown once) and its expiry; the account's older links stop."""
    # The account's row, locked: concurrent links for one account queue here.
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise UserNotFoundError(f"no user with id {user_id}")
    now = datetime.now(UTC)
    session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.user_id == user_id,
            PasswordReset.used_at.is_(None),
            PasswordReset.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=min(hours, RESET_LINK_HOURS))
    session.add(
        PasswordReset(
            user_id=user_id,
            token_hash=token_hash(token),
            created_by=created_by,
            expires_at=expires_at,
            target_generation=int(user.token_generation or 0),
        )
    )
    audit.record(
        session,
        actor_id=created_by,
        action="reset_link.created",
        target_user_id=user_id,
        details={"expires_at": expires_at.isoformat()},
    )
    return token, expires_at


def find_reset(session: Session, token: str) -> tuple[PasswordReset, User]:
    """The link's row and account if it can still be used now; ResetLinkError says why not."""
    row = session.execute(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    ).scalar_one_or_none()
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None:
        raise ResetLinkError(UNKNOWN)
    if row.used_at is not None:
        raise ResetLinkError(USED)
    if row.revoked_at is not None:
        raise ResetLinkError(REPLACED)
    if row.expires_at <= datetime.now(UTC):
        raise ResetLinkError(EXPIRED)
    if row.target_generation != int(user.token_generation or 0) or not _creator_may_still(
        session, row, user
    ):
        raise ResetLinkError(STALE)
    return row, user


def _creator_may_still(session: Session, row: PasswordReset, user: User) -> bool:
    """Whether the link's creator, as they are now, may still reset the account."""
    creator = session.get(User, row.created_by) if row.created_by is not None else None
    if creator is None or not creator.is_active:
        return False
    return may_reset(session, actor_id=creator.id, actor_roles=creator.roles or (), user=user)


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
    audit.record(
        session,
        actor_id=user.id,
        action="reset_link.used",
        target_user_id=user.id,
        details={"created_by": row.created_by},
    )
    return set_password(session, user=user, new_password=new_password)
