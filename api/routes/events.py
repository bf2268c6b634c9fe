"""Routes: research events sent by clients (notebook activity), stored for the caller only.

The owner of every stored event is the authenticated caller; a body cannot name a user
(extra fields are rejected), and sessions or courses it names must be the caller's own.
Students without research consent get their batch acknowledged and discarded.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import insert, select

from ainative.db.models import Event, Membership, TutorSession, User
from api.deps import CurrentUser, SessionDep
from api.schemas.events import EventBatchIn, EventBatchPublic, EventLimitsPublic

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/events", tags=["events"])


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, message)


def _has_consent(db: SessionDep, user_id: int) -> bool:
    return bool(db.scalar(select(User.research_consent).where(User.id == user_id)))


@router.get("/limits", response_model=EventLimitsPublic)
def read_event_limits(user: CurrentUser, db: SessionDep) -> EventLimitsPublic:
    """The batch limits and whether the caller's events are recorded at all."""
    return EventLimitsPublic(consent=_has_consent(db, user.id))


@router.post("/batch", response_model=EventBatchPublic)
def create_event_batch(body: EventBatchIn, user: CurrentUser, db: SessionDep) -> EventBatchPublic:
    """Store a batch of the caller's events with one multi-row INSERT."""
    received = len(body.events)
    if not _has_consent(db, user.id):
        return EventBatchPublic(received=received, stored=0, consent=False)

    session_ids = {e.session_id for e in body.events if e.session_id} | (
        {body.session_id} if body.session_id else set()
    )
    session_course: dict[uuid.UUID, int | None] = {}
    if session_ids:
        rows = db.execute(
            select(TutorSession.id, TutorSession.course_id).where(
                TutorSession.id.in_(session_ids), TutorSession.user_id == user.id
            )
        ).all()
        session_course = {row.id: row.course_id for row in rows}
        unknown = session_ids - session_course.keys()
        if unknown:
            raise _unprocessable(
                f"session_id: {sorted(map(str, unknown))[0]} is not a session of yours"
            )
    if body.course_id is not None:
        member = db.scalar(
            select(Membership.id).where(
                Membership.course_id == body.course_id, Membership.user_id == user.id
            )
        )
        if member is None:
            raise _unprocessable(f"course_id: you are not enrolled in course {body.course_id}")

    rows = []
    for event in body.events:
        session_id = event.session_id or body.session_id
        course_id = body.course_id
        if course_id is None and session_id is not None:
            course_id = session_course.get(session_id)
        rows.append(
            {
                "event_type": event.type,
                "user_id": user.id,
                "session_id": session_id,
                "course_id": course_id,
                "occurred_at": event.occurred_at,
                "payload": event.payload,
            }
        )
    db.execute(insert(Event).values(rows))
    db.commit()
    log.info("stored %d events for user %d", len(rows), user.id)
    return EventBatchPublic(received=received, stored=len(rows), consent=True)
