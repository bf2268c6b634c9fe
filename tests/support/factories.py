"""State built through the platform's own services, never by raw SQL, so a test only sees
what production can produce (a course always has its first policy version).

Each factory runs the services in a session of its own and commits it, whether or not
the services commit themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ainative.auth.users import update_user
from ainative.course.courses import add_member, create_course
from ainative.course.experiments import create_experiment
from ainative.db.models import Course, User


def make_course(
    engine: Engine,
    policy: Mapping[str, Any] | None = None,
    members: Iterable[tuple[int, str]] = (),
    *,
    code: str | None = None,
    title: str = "Test course",
) -> int:
    """A new course with its tutor policy and members (user id, course role); its id."""
    with Session(engine) as session:
        course = create_course(
            session,
            code=code or f"C{uuid.uuid4().hex[:8]}",
            title=title,
            tutor_policy=dict(policy or {}),
        )
        course_id = int(course.id)
        for user_id, role in members:
            add_member(session, course_id=course_id, user_id=user_id, role=role)
        session.commit()
    return course_id


def course_with_code(engine: Engine, code: str, title: str | None = None) -> int:
    """The course with this code, created (titled `title`, else its code) when there is none."""
    with Session(engine) as session:
        found = session.execute(select(Course.id).where(Course.code == code)).scalar_one_or_none()
    if found is not None:
        return int(found)
    return make_course(engine, code=code, title=title or code)


def enrol(engine: Engine, course_id: int, members: Iterable[tuple[int, str]]) -> None:
    """Add members (user id, course role) to a course, or change their roles."""
    with Session(engine) as session:
        for user_id, role in members:
            add_member(session, course_id=course_id, user_id=user_id, role=role)
        session.commit()


def make_experiment(
    engine: Engine,
    course_id: int,
    arms: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    name: str | None = None,
) -> int:
    """A running experiment with these arms (name, policy) in the course; its id."""
    with engine.connect() as conn:
        experiment_id = create_experiment(
            conn, course_id=course_id, name=name or f"e{uuid.uuid4().hex[:8]}", arms=arms
        )
        conn.commit()
    return experiment_id


def grant_roles(engine: Engine, user_id: int, roles: Sequence[str]) -> None:
    """Give an account these platform roles, as an admin's change does."""
    with Session(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            raise LookupError(f"no user {user_id}")
        update_user(session, user=user, roles=roles)
        session.commit()
