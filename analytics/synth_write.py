"""Writing a synthetic cohort into the platform's tables, as the platform would have.

The course (with its first policy version), the memberships and the experiment (with
its arms) are made by the platform's own services (``ainative.course.courses``,
``ainative.course.experiments``), so a demo never holds a state production cannot
produce. The large tables go in with COPY: accounts (one password hash shared by the
cohort, no consent record: the "bulk import" case of ``consent_periods``, so their
consent holds over the whole backdated cohort), tutor sessions, interactions, events,
the course's deadlines and the experiment's assignments. The cohort's history starts at
its first day, so the course, its policy version and the experiment are dated then.

Everything happens in one session that this module commits at the end, so it works the
same whether or not a service commits its own step.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ainative.course.courses import add_member, create_course
from ainative.course.errors import DuplicateCourseError
from ainative.course.event_types import COURSE_DEADLINE
from ainative.course.experiments import create_experiment
from ainative.db.models import Course, CoursePolicyVersion, Experiment, ExperimentArm, User
from analytics.bulk import copy_into
from analytics.pgcopy import Source, engine_for
from analytics.synth import Cohort, Logins


def _copy(session: Session, table: str, frame: pd.DataFrame) -> int:
    """COPY `frame` into `table` on the session's connection (inside its transaction)."""
    cursor = session.connection().connection.cursor()
    try:
        return copy_into(cursor, table, frame)
    finally:
        cursor.close()


def _new_course(session: Session, cohort: Cohort, started: datetime) -> int:
    """The course with its first policy version (the course service), dated `started`."""
    spec = cohort.spec
    try:
        course = create_course(session, code=spec.course_code, title=spec.course_title)
    except DuplicateCourseError:
        raise ValueError(f"course {spec.course_code} already exists; choose another code") from None
    course_id = course.id
    session.execute(update(Course).where(Course.id == course_id).values(created_at=started))
    session.execute(
        update(CoursePolicyVersion)
        .where(CoursePolicyVersion.course_id == course_id)
        .values(created_at=started)
    )
    return course_id


def _accounts(
    session: Session, cohort: Cohort, student_hash: str, instructor_hash: str
) -> tuple[np.ndarray, int]:
    """COPY the students and one instructor; their ids (by student index) and the instructor's."""
    users = cohort.users
    instructor = cohort.instructor
    accounts = pd.DataFrame(
        {
            "email": [f"{u}@example.org" for u in [*users.username, instructor]],
            "username": [*users.username, instructor],
            "password_hash": [student_hash] * len(users) + [instructor_hash],
            "roles": ["{student}"] * len(users) + ["{instructor}"],
            "is_verified": True,
            "research_consent": [*users.research_consent.astype(bool), False],
        }
    )
    _copy(session, "users", accounts)
    query = select(User.username, User.id).where(User.username.in_(accounts.username.tolist()))
    ids = dict(session.execute(query).all())
    return users.username.map(ids).to_numpy(), ids[instructor]


def _experiment(
    session: Session, cohort: Cohort, course_id: int, instructor: int, started: datetime
) -> tuple[int | None, np.ndarray]:
    """The experiment and its arms (the experiments service), dated `started`; its arms' ids."""
    experiment = cohort.spec.experiment
    if experiment is None:
        return None, np.array([], dtype=np.int64)
    experiment_id = create_experiment(
        session.connection(),
        course_id=course_id,
        name=experiment.name,
        arms=[(arm.name, dict(arm.policy)) for arm in experiment.arms],
        description=experiment.description,
        created_by=instructor,
    )
    session.execute(
        update(Experiment).where(Experiment.id == experiment_id).values(created_at=started)
    )
    arm_ids = dict(
        session.execute(
            select(ExperimentArm.name, ExperimentArm.id).where(
                ExperimentArm.experiment_id == experiment_id
            )
        ).all()
    )
    return experiment_id, np.array([arm_ids[a.name] for a in experiment.arms], dtype=np.int64)


def write(
    cohort: Cohort,
    source: Source = None,
    password_hash: str | None = None,
    logins: Logins | None = None,
) -> dict:
    """Write the cohort (one session, committed at the end); returns row counts per table.

    Every account gets `password_hash` when it is given (tests: one cheap hash), else the
    passwords of `logins`; with neither, random passwords that nobody is told.
    """
    from ainative.auth.passwords import hash_password

    logins = logins or Logins.random()
    pw = password_hash or hash_password(logins.students)  # hashed once, shared by students
    teacher_pw = password_hash or hash_password(logins.instructor)
    started = cohort.start or datetime.now(UTC)
    with engine_for(source) as engine, Session(engine) as session:
        course_id = _new_course(session, cohort, started)
        user_ids, instructor = _accounts(session, cohort, pw, teacher_pw)
        for user_id in user_ids:
            add_member(session, course_id=course_id, user_id=int(user_id), role="student")
        add_member(session, course_id=course_id, user_id=instructor, role="instructor")
        counts: dict[str, int] = {"users": len(user_ids) + 1, "memberships": len(user_ids) + 1}
        experiment_id, arm_ids = _experiment(session, cohort, course_id, instructor, started)
        for table, rows in (
            ("tutor_sessions", cohort.sessions),
            ("interactions", cohort.interactions),
            ("events", cohort.events),
        ):
            frame = pd.DataFrame(rows)
            if not frame.empty:
                frame["user_id"] = user_ids[frame["user_id"].to_numpy()]
                frame["course_id"] = course_id
            if table == "interactions" and not frame.empty:
                frame["policy_version"] = 1
                if "arm" in frame.columns:
                    frame["arm_id"] = arm_ids[frame.pop("arm").to_numpy(dtype=int)]
                    frame["experiment_id"] = experiment_id
            counts[table] = _copy(session, table, frame)
        if cohort.assignments:
            assigned = pd.DataFrame(
                [(s, arm, at) for s, (arm, at) in cohort.assignments.items()],
                columns=["student", "arm", "assigned_at"],
            )
            frame = pd.DataFrame(
                {
                    "experiment_id": experiment_id,
                    "user_id": user_ids[assigned["student"].to_numpy()],
                    "arm_id": arm_ids[assigned["arm"].to_numpy()],
                    "assigned_at": assigned["assigned_at"],
                }
            )
            counts["experiment_assignments"] = _copy(session, "experiment_assignments", frame)
        deadlines = pd.DataFrame(
            {
                "event_type": COURSE_DEADLINE,
                "course_id": course_id,
                "occurred_at": cohort.deadlines,
                "payload": [
                    {"title": f"Exercise sheet {i + 1}"} for i in range(len(cohort.deadlines))
                ],
            }
        )
        counts["deadlines"] = _copy(session, "events", deadlines)
        session.commit()
    counts["course_id"] = course_id
    return counts
