"""Which course a tutor request, session or activity event belongs to.

The server applies a course's policy (allowed modes, quota, extra context) to every
student who belongs to a course, so leaving `course_id` out is never a way around it.
The rule, for a caller's memberships of any role:

- `course_id` named: the caller must be a member (NotACourseMemberError otherwise), and
  it must agree with the session's course when the session has one
  (SessionCourseMismatchError otherwise);
- omitted, in a session that has a course: the session's course (SessionCourseLeftError
  when the caller has left it);
- omitted otherwise: the caller's only course; several courses: CourseChoiceError naming
  them, so the client asks which; no course: no course policy.

The refusals are in ainative.tutor.errors, all CourseRuleErrors.

One query (`LOOKUP_SQL`) reads the caller's courses with their policies (and each
course's running experiment with the caller's arm in it) and, when a session is named,
that session's course and its latest turn number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from ainative.tutor.errors import (
    CourseChoiceError,
    NotACourseMemberError,
    SessionCourseLeftError,
    SessionCourseMismatchError,
)


@dataclass(frozen=True)
class CourseChoice:
    """One course of the caller: what a client shows and the policy the server applies."""

    id: int
    code: str
    title: str
    policy: dict[str, Any] = field(default_factory=dict)
    policy_version: int = 1
    experiment_id: int | None = None  # the course's running experiment, if any
    arm: dict[str, Any] | None = None  # the caller's arm in it: {id, name, policy}
    # The strictest AI window in force now for the question's notebook: {mode, ends_at}.
    window: dict[str, Any] | None = None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "title": self.title}


@dataclass(frozen=True)
class Lookup:
    """The caller's courses and, when a session was named, what is known about it."""

    courses: tuple[CourseChoice, ...]
    session_found: bool = False
    session_course: int | None = None
    last_turn: int = 0  # the session's highest turn number so far (0: none yet)


# Which AI window governs a question (shared with ainative.course.assignment_stats, so the
# console's "state now" is the rule submit applies): one in force now, the strictest first
# (off, then hints-only, then normal), and of equals the one that lasts longest.
WINDOW_IN_FORCE = (
    "(w.starts_at IS NULL OR w.starts_at <= now()) AND (w.ends_at IS NULL OR now() < w.ends_at)"
)
WINDOW_STRICTEST_FIRST = (
    "CASE w.mode WHEN 'off' THEN 0 WHEN 'hints-only' THEN 1 ELSE 2 END, w.ends_at DESC NULLS FIRST"
)

LOOKUP_SQL = text(
    f"""
    WITH s AS (
        SELECT t.course_id,
            (SELECT COALESCE(max(i.turn), 0) FROM interactions i
             WHERE i.session_id = t.id) AS last_turn
        FROM tutor_sessions t
        WHERE t.id = CAST(:session_id AS uuid) AND t.user_id = :user_id)
    SELECT
        EXISTS (SELECT 1 FROM s) AS session_found,
        (SELECT course_id FROM s) AS session_course,
        COALESCE((SELECT last_turn FROM s), 0) AS last_turn,
        COALESCE((
            SELECT json_agg(json_build_object(
                'id', c.id, 'code', c.code, 'title', c.title, 'policy', c.tutor_policy,
                'policy_version', c.policy_version, 'experiment_id', e.id,
                'arm', (SELECT json_build_object('id', a.id, 'name', a.name, 'policy', a.policy)
                        FROM experiment_assignments x
                        JOIN experiment_arms a ON a.id = x.arm_id
                        WHERE x.experiment_id = e.id AND x.user_id = :user_id),
                'window', (SELECT json_build_object('mode', w.mode, 'ends_at', w.ends_at)
                        FROM ai_windows w LEFT JOIN assignments asg ON asg.id = w.assignment_id
                        WHERE w.course_id = c.id
                          AND (w.assignment_id IS NULL OR asg.notebook_path = :notebook_path)
                          AND {WINDOW_IN_FORCE}
                        ORDER BY {WINDOW_STRICTEST_FIRST}
                        LIMIT 1))
                ORDER BY c.id)
            FROM memberships m JOIN courses c ON c.id = m.course_id
            LEFT JOIN experiments e ON e.course_id = c.id AND e.ended_at IS NULL
            WHERE m.user_id = :user_id), '[]'::json) AS courses
    """
)


def _courses(raw: Any) -> tuple[CourseChoice, ...]:
    items = json.loads(raw) if isinstance(raw, str) else raw or []
    return tuple(
        CourseChoice(
            int(c["id"]),
            str(c["code"]),
            str(c["title"]),
            dict(c.get("policy") or {}),
            int(c.get("policy_version") or 1),
            c.get("experiment_id"),
            c.get("arm"),
            c.get("window"),
        )
        for c in items
    )


def lookup(
    conn: Connection, user_id: int, session_id: Any = None, notebook_path: str | None = None
) -> Lookup:
    """The caller's courses (and the named session of theirs), in one query; each course's
    AI window in force for `notebook_path` (without one: the course-wide windows only)."""
    row = (
        conn.execute(
            LOOKUP_SQL,
            {
                "user_id": user_id,
                "session_id": str(session_id) if session_id else None,
                "notebook_path": notebook_path,
            },
        )
        .mappings()
        .one()
    )
    return Lookup(
        courses=_courses(row["courses"]),
        session_found=bool(row["session_found"]),
        session_course=row["session_course"],
        last_turn=int(row["last_turn"]),
    )


def choose_course(
    courses: Sequence[CourseChoice],
    *,
    named: int | None,
    session_course: int | None = None,
) -> CourseChoice | None:
    """The course a request belongs to under the rule above; a CourseRuleError when undecidable."""
    by_id: Mapping[int, CourseChoice] = {c.id: c for c in courses}
    if named is not None:
        chosen = by_id.get(named)
        if chosen is None:
            raise NotACourseMemberError(named)
        if session_course is not None and session_course != named:
            raise SessionCourseMismatchError(named, session_course)
        return chosen
    if session_course is not None:
        chosen = by_id.get(session_course)
        if chosen is None:
            raise SessionCourseLeftError(session_course)
        return chosen
    if len(courses) == 1:
        return courses[0]
    if len(courses) > 1:
        raise CourseChoiceError(courses)
    return None
