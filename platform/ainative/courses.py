"""Courses and memberships: who teaches and who takes a course, and its tutor policy.

A course's `tutor_policy` (JSONB) says how the tutor behaves for its students:
allowed_modes, quota_per_hour, extra_context and optionally provider/model. The
API validates a policy at the edge; this module stores and reads it. Functions take
the session first and keyword-only arguments after it, and commit their own work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ainative.auth.users import get_user_by_login
from ainative.db.models import COURSE_ROLES, Course, Interaction, Membership, User


class CourseError(Exception):
    """A refusal whose message is safe to show to the caller."""


class DuplicateCourseError(CourseError):
    """The course code is taken."""


class CourseNotFoundError(CourseError):
    """No such user, or no such member of the course."""


class CoursePermissionError(CourseError):
    """The caller's role in the course does not allow the change."""


@dataclass(frozen=True)
class MemberRow:
    user_id: int
    username: str
    email: str
    role: str
    research_consent: bool


def create_course(
    session: Session, *, code: str, title: str, tutor_policy: dict[str, Any] | None = None
) -> Course:
    """A new course; its code must be unique."""
    course = Course(code=code, title=title, tutor_policy=dict(tutor_policy or {}))
    session.add(course)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise DuplicateCourseError(
            f"a course with code {code!r} already exists (codes that differ only in case or "
            "punctuation are one hub group)"
        ) from exc
    return course


def get_course(session: Session, *, course_id: int) -> Course | None:
    return session.get(Course, course_id)


def member_role(session: Session, *, course_id: int, user_id: int) -> str | None:
    """The user's role in the course, or None when not a member."""
    return session.execute(
        select(Membership.role).where(
            Membership.course_id == course_id, Membership.user_id == user_id
        )
    ).scalar_one_or_none()


def list_courses(
    session: Session, *, user_id: int, include_all: bool = False
) -> list[tuple[Course, str | None]]:
    """The user's courses with their role in each; every course when `include_all` (admins)."""
    role = Membership.role
    joined = Membership.course_id == Course.id
    stmt = select(Course, role).order_by(Course.id)
    if include_all:
        stmt = stmt.outerjoin(Membership, joined & (Membership.user_id == user_id))
    else:
        stmt = stmt.join(Membership, joined).where(Membership.user_id == user_id)
    return [(course, r) for course, r in session.execute(stmt).all()]


def add_member(session: Session, *, course_id: int, user_id: int, role: str) -> None:
    """Enrol (or change the role of) a user in a course."""
    if role not in COURSE_ROLES:
        raise CourseError(f"course role must be one of {', '.join(COURSE_ROLES)}")
    stmt = insert(Membership).values(course_id=course_id, user_id=user_id, role=role)
    session.execute(
        stmt.on_conflict_do_update(constraint="uq_memberships_course_user", set_={"role": role})
    )
    session.commit()


def enrol(
    session: Session,
    *,
    course_id: int,
    actor_role: str,
    role: str,
    user_id: int | None = None,
    username: str | None = None,
) -> MemberRow:
    """Enrol a user (by id, else by username or email) or change their role.

    `actor_role` is the caller's role in the course ("admin" for platform admins): only
    admins assign instructors or change an instructor's role.
    """
    if role == "instructor" and actor_role != "admin":
        raise CoursePermissionError("only admins assign instructors")
    if user_id is not None:
        target = session.get(User, user_id)
    else:
        target = get_user_by_login(session, login=username or "")
    if target is None:
        raise CourseNotFoundError("no such user")
    current = member_role(session, course_id=course_id, user_id=target.id)
    if current == "instructor" and actor_role != "admin":
        raise CoursePermissionError("only admins change an instructor's role")
    add_member(session, course_id=course_id, user_id=target.id, role=role)
    return MemberRow(target.id, target.username, target.email, role, target.research_consent)


def unenrol(session: Session, *, course_id: int, actor_role: str, user_id: int) -> None:
    """Remove a member; only admins remove instructors."""
    current = member_role(session, course_id=course_id, user_id=user_id)
    if current is None:
        raise CourseNotFoundError("that user is not a member of this course")
    if current == "instructor" and actor_role != "admin":
        raise CoursePermissionError("only admins remove instructors")
    remove_member(session, course_id=course_id, user_id=user_id)


def remove_member(session: Session, *, course_id: int, user_id: int) -> bool:
    """Remove a membership; False when there was none."""
    membership = session.execute(
        select(Membership).where(Membership.course_id == course_id, Membership.user_id == user_id)
    ).scalar_one_or_none()
    if membership is None:
        return False
    session.delete(membership)
    session.commit()
    return True


def list_members(session: Session, *, course_id: int) -> list[MemberRow]:
    """Members of a course, instructors first, then by username."""
    rows = session.execute(
        select(User.id, User.username, User.email, Membership.role, User.research_consent)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.course_id == course_id)
        .order_by(Membership.role.desc(), User.username)
    ).all()
    return [MemberRow(*row) for row in rows]


def set_policy(session: Session, *, course: Course, policy: dict[str, Any]) -> Course:
    """Replace the course's tutor policy (validated by the caller)."""
    course.tutor_policy = dict(policy)
    session.commit()
    return course


def course_policy_for(session: Session, user_id: int, course_id: int) -> dict[str, Any] | None:
    """The tutor policy of a course the user belongs to; None when not a member (one query)."""
    policy = session.execute(
        select(Course.tutor_policy)
        .join(Membership, Membership.course_id == Course.id)
        .where(Course.id == course_id, Membership.user_id == user_id)
    ).scalar_one_or_none()
    return None if policy is None else dict(policy)


def interaction_summary(session: Session, *, course_id: int) -> list[dict[str, Any]]:
    """Per enrolled student: interactions in this course, last one, average rating."""
    stats = (
        select(
            Interaction.user_id.label("user_id"),
            func.count(Interaction.id).label("interactions"),
            func.max(Interaction.created_at).label("last_interaction_at"),
            func.avg(Interaction.rating).label("mean_rating"),
        )
        .where(Interaction.course_id == course_id)
        .group_by(Interaction.user_id)
        .subquery()
    )
    rows = session.execute(
        select(
            User.id,
            User.username,
            func.coalesce(stats.c.interactions, 0),
            stats.c.last_interaction_at,
            stats.c.mean_rating,
        )
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(stats, stats.c.user_id == User.id)
        .where(Membership.course_id == course_id, Membership.role == "student")
        .order_by(User.username)
    ).all()
    return [
        {
            "user_id": uid,
            "username": name,
            "interactions": int(count),
            "last_interaction_at": last,
            "mean_rating": None if mean is None else float(mean),
        }
        for uid, name, count, last, mean in rows
    ]
