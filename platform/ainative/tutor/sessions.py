"""Tutor sessions (a notebook, a lab): opening and ending one, each with its research event.

Functions take a Connection; the caller decides the transaction (the API runs each call
in one `engine.begin()`), so a change and its event are stored together or not at all.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection

from ainative.course.event_types import SESSION_END, SESSION_START
from ainative.tutor import course_rule
from ainative.tutor import repository as repo
from ainative.tutor.errors import SessionNotFoundError
from ainative.tutor.repository import Row


def start_session(conn: Connection, *, user_id: int, course_id: int | None, client: str) -> Row:
    """Open a session in the course the binding rule gives (ainative.tutor.course_rule).

    A member of one course gets it without naming it; a member of several must name one
    (CourseChoiceError listing them); a course the user does not belong to is a
    NotACourseMemberError.
    """
    found = course_rule.lookup(conn, user_id)
    chosen = course_rule.choose_course(found.courses, named=course_id)
    course_id = chosen.id if chosen is not None else None
    row = repo.start_session(conn, user_id, course_id, client)
    if row is None:  # INSERT ... RETURNING always returns the row
        raise RuntimeError("the session was not stored")
    repo.add_event(
        conn,
        SESSION_START,
        user_id=user_id,
        course_id=course_id,
        session_id=row["id"],
        payload={"client": client},
    )
    return row


def end_session(conn: Connection, *, session_id: uuid.UUID, user_id: int) -> Row:
    """End the user's own session (idempotent); SessionNotFoundError for anyone else's."""
    row = repo.end_session(conn, session_id, user_id)
    if row is None:
        raise SessionNotFoundError()
    repo.add_event(
        conn,
        SESSION_END,
        user_id=user_id,
        course_id=row["course_id"],
        session_id=row["id"],
        payload={"client": row["client"]},
    )
    return row
