"""Research events sent by clients (notebook activity), stored for their owner only.

The owner of every stored event is the caller the API authenticated; sessions or
courses a batch names must be the caller's own. Each event's course follows the same rule
as a tutor question (ainative.tutor.course_rule): the course it names (or the batch's), else
its session's course, else the caller's only course; a member of several courses must
name one. Students without research consent get their batch acknowledged and discarded.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ainative.course.errors import EventError
from ainative.db.models import Event, TutorSession, User
from ainative.tutor import course_rule
from ainative.tutor.errors import CourseRuleError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewEvent:
    type: str
    occurred_at: datetime
    session_id: uuid.UUID | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    course_id: int | None = None
    notebook_path: str | None = None
    cell_id: str | None = None


@dataclass(frozen=True)
class BatchResult:
    received: int
    stored: int
    consent: bool


def has_consent(session: Session, *, user_id: int) -> bool:
    """Whether the user agreed to research use of their events."""
    return bool(session.scalar(select(User.research_consent).where(User.id == user_id)))


def _session_courses(
    session: Session, user_id: int, session_ids: set[uuid.UUID]
) -> dict[uuid.UUID, int | None]:
    """Course of each named tutor session; EventError when one is not the user's."""
    if not session_ids:
        return {}
    rows = session.execute(
        select(TutorSession.id, TutorSession.course_id).where(
            TutorSession.id.in_(session_ids), TutorSession.user_id == user_id
        )
    ).all()
    courses = {row.id: row.course_id for row in rows}
    unknown = session_ids - courses.keys()
    if unknown:
        raise EventError(f"session_id: {sorted(map(str, unknown))[0]} is not a session of yours")
    return courses


def _course_of(
    courses: Sequence[course_rule.CourseChoice], named: int | None, session_course: int | None
) -> int | None:
    """An event's course under the binding rule; EventError when it cannot be decided."""
    try:
        chosen = course_rule.choose_course(courses, named=named, session_course=session_course)
    except CourseRuleError as exc:
        raise EventError(f"course_id: {exc}") from None
    return chosen.id if chosen is not None else None


def store_batch(
    session: Session,
    *,
    user_id: int,
    events: Sequence[NewEvent],
    session_id: uuid.UUID | None = None,
    course_id: int | None = None,
) -> BatchResult:
    """Store the user's events with one multi-row INSERT (nothing without consent).

    `session_id` and `course_id` are the batch's defaults for events that name none.
    """
    received = len(events)
    if not has_consent(session, user_id=user_id):
        return BatchResult(received=received, stored=0, consent=False)
    named = {e.session_id for e in events if e.session_id} | ({session_id} if session_id else set())
    session_course = _session_courses(session, user_id, named)
    courses = course_rule.lookup(session.connection(), user_id).courses
    rows = []
    for event in events:
        event_session = event.session_id or session_id
        event_course = _course_of(
            courses,
            event.course_id or course_id,
            session_course.get(event_session) if event_session else None,
        )
        rows.append(
            {
                "event_type": event.type,
                "user_id": user_id,
                "session_id": event_session,
                "course_id": event_course,
                "notebook_path": event.notebook_path,
                "cell_id": event.cell_id,
                "occurred_at": event.occurred_at,
                "payload": event.payload,
            }
        )
    session.execute(insert(Event).values(rows))
    log.info("stored %d events for user %d", len(rows), user_id)
    return BatchResult(received=received, stored=len(rows), consent=True)
