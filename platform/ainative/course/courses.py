"""Courses and memberships: who teaches and who takes a course, and its tutor policy.

A course's `tutor_policy` (JSONB) says how the tutor behaves for its students:
allowed_modes, quota_per_hour, extra_context (tutor-only: for the model and course
staff, never shown to students, see `policy_seen_by`), student_notes (shown to
students) and optionally provider/model. The
API validates a policy at the edge; this module stores and reads it. Functions take
the session first and keyword-only arguments after it, and never commit: the caller
owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ainative import audit
from ainative.auth.users import get_user_by_login
from ainative.course.errors import (
    CourseError,
    CourseNotFoundError,
    CoursePermissionError,
    DuplicateCourseError,
)
from ainative.db.models import (
    COURSE_ROLES,
    Course,
    CoursePolicyVersion,
    Interaction,
    Membership,
    User,
)

ROLE_ORDER = case(
    (Membership.role == "instructor", 0), (Membership.role == "assistant", 1), else_=2
)


@dataclass(frozen=True)
class MemberRow:
    """A member as course staff see them; contact details only where the caller may see them."""

    user_id: int
    username: str
    email: str | None
    role: str
    research_consent: bool | None
    account_roles: tuple[str, ...] = ()

    def seen_by(self, actor_role: str) -> MemberRow:
        """This row as `actor_role` may see it: instructors see their own students' email only.

        An instructor's students are student-only accounts in the course as students, who
        joined by their own action (join code, accepted invitation) or were enrolled by an
        admin. Research consent is for admins alone; the email of fellow staff and of
        admins stays hidden from instructors; assistants see no one's email.
        """
        if actor_role == "admin":
            return self
        if (
            actor_role == "instructor"
            and self.role == "student"
            and student_only(self.account_roles)
        ):
            return replace(self, research_consent=None)
        return replace(self, email=None, research_consent=None)


def student_only(roles: Iterable[str] | None) -> bool:
    """True for platform roles exactly {student}: the only accounts instructors manage or reach."""
    return set(roles or ()) == {"student"}


def create_course(
    session: Session, *, code: str, title: str, tutor_policy: dict[str, Any] | None = None
) -> Course:
    """A new course; its code must be unique."""
    course = Course(code=code, title=title, tutor_policy=dict(tutor_policy or {}))
    try:
        with session.begin_nested():
            session.add(course)
    except IntegrityError as exc:
        raise DuplicateCourseError(
            f"a course with code {code!r} already exists (codes that differ only in case or "
            "punctuation are one hub group)"
        ) from exc
    session.add(CoursePolicyVersion(course_id=course.id, version=1, policy=course.tutor_policy))
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


def enrol(
    session: Session,
    *,
    course_id: int,
    actor_id: int | None,
    actor_role: str,
    role: str,
    user_id: int | None = None,
    username: str | None = None,
) -> MemberRow:
    """An admin enrols a user (by id, else by username or email) or changes their role.

    Only admins attach an existing account to a course: instructors invite it
    (ainative.course.invitations) and it joins when it accepts. Enrolment puts a
    student's server and password resets within the instructors' reach. Audit-logged.
    """
    if actor_role != "admin":
        raise CoursePermissionError(
            "only admins enrol an existing account; instructors invite it and it joins "
            "when it accepts"
        )
    if user_id is not None:
        target = session.get(User, user_id)
    else:
        target = get_user_by_login(session, login=username or "")
    if target is None:
        raise CourseNotFoundError("no such user")
    add_member(session, course_id=course_id, user_id=target.id, role=role)
    audit.record(
        session,
        actor_id=actor_id,
        action="membership.added",
        course_id=course_id,
        target_user_id=target.id,
        details={"role": role},
    )
    row = MemberRow(
        target.id,
        target.username,
        target.email,
        role,
        target.research_consent,
        tuple(target.roles or ()),
    )
    return row.seen_by(actor_role)


def unenrol(
    session: Session, *, course_id: int, actor_id: int | None, actor_role: str, user_id: int
) -> None:
    """Remove a member; only admins remove instructors. Audit-logged."""
    current = member_role(session, course_id=course_id, user_id=user_id)
    if current is None:
        raise CourseNotFoundError("that user is not a member of this course")
    if current == "instructor" and actor_role != "admin":
        raise CoursePermissionError("only admins remove instructors")
    remove_member(session, course_id=course_id, user_id=user_id)
    audit.record(
        session,
        actor_id=actor_id,
        action="membership.removed",
        course_id=course_id,
        target_user_id=user_id,
        details={"role": current},
    )


def remove_member(session: Session, *, course_id: int, user_id: int) -> bool:
    """Remove a membership; False when there was none."""
    membership = session.execute(
        select(Membership).where(Membership.course_id == course_id, Membership.user_id == user_id)
    ).scalar_one_or_none()
    if membership is None:
        return False
    session.delete(membership)
    return True


def list_members(session: Session, *, course_id: int, actor_role: str) -> list[MemberRow]:
    """Members of a course as `actor_role` sees them: instructors, assistants, students,
    each by username."""
    rows = session.execute(
        select(
            User.id,
            User.username,
            User.email,
            Membership.role,
            User.research_consent,
            User.roles,
        )
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.course_id == course_id)
        .order_by(ROLE_ORDER, User.username)
    ).all()
    return [MemberRow(*row[:5], tuple(row[5] or ())).seen_by(actor_role) for row in rows]


def set_policy(
    session: Session, *, course: Course, policy: dict[str, Any], changed_by: int | None = None
) -> Course:
    """Replace the course's tutor policy (validated by the caller) as its next version; the
    old versions stay, so each interaction can be tied to the policy it ran under."""
    course.tutor_policy = dict(policy)
    course.policy_version += 1
    session.add(
        CoursePolicyVersion(
            course_id=course.id,
            version=course.policy_version,
            policy=course.tutor_policy,
            changed_by=changed_by,
        )
    )
    return course


def course_policy_for(session: Session, user_id: int, course_id: int) -> dict[str, Any] | None:
    """The tutor policy of a course the user belongs to; None when not a member (one query)."""
    policy = session.execute(
        select(Course.tutor_policy)
        .join(Membership, Membership.course_id == Course.id)
        .where(Course.id == course_id, Membership.user_id == user_id)
    ).scalar_one_or_none()
    return None if policy is None else dict(policy)


TUTOR_ONLY_FIELDS = frozenset({"extra_context"})  # policy fields only course staff may read


def is_course_staff(role: str | None, *, admin: bool) -> bool:
    """Whether a caller with this course role (or an admin) may read tutor-only fields:
    instructors and teaching assistants (course staff), never students."""
    return admin or role in ("admin", "instructor", "assistant")


def policy_seen_by(policy: dict[str, Any] | None, *, staff: bool) -> dict[str, Any]:
    """The policy as the caller may read it: without its tutor-only fields unless `staff`."""
    policy = dict(policy or {})
    return policy if staff else {k: v for k, v in policy.items() if k not in TUTOR_ONLY_FIELDS}


def interaction_summary(session: Session, *, course_id: int) -> list[dict[str, Any]]:
    """Per enrolled student: interactions in this course, the last one, and their ratings.

    The two rating scales are summarised apart: how many answers got a thumbs up/down and
    the share of "helpful" among them; how many got a 1-5 score and the mean score.
    """
    stats = (
        select(
            Interaction.user_id.label("user_id"),
            func.count(Interaction.id).label("interactions"),
            func.max(Interaction.created_at).label("last_interaction_at"),
            func.count(Interaction.helpful).label("helpful_votes"),
            func.avg(cast(Interaction.helpful, Integer)).label("helpful_share"),
            func.count(Interaction.score).label("scored"),
            func.avg(Interaction.score).label("mean_score"),
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
            func.coalesce(stats.c.helpful_votes, 0),
            stats.c.helpful_share,
            func.coalesce(stats.c.scored, 0),
            stats.c.mean_score,
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
            "helpful_votes": int(votes),
            "helpful_share": None if helpful is None else float(helpful),
            "scored": int(scored),
            "mean_score": None if mean is None else float(mean),
        }
        for uid, name, count, last, votes, helpful, scored, mean in rows
    ]
