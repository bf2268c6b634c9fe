"""Routes: what course staff read in the staff console — the course's questions and the
live lab.

Both are for readers (assistants, instructors, admins: `CourseReader`). The questions
are refused (403) when the course set `staff_reading` to "aggregates"; the live view
shows counts and flags, never a question's text, so it stays open then.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from ainative.course import staff_views
from analytics.live import frames, live_rows
from api.routes.courses import CourseReader
from api.schemas.bounds import INT32_MAX, TimeQuery
from api.schemas.errors import error_responses
from api.schemas.staff import CourseInteractionsPublic, LivePublic
from api.shared_result import SharedResult
from api.state import StateDep

router = APIRouter(
    prefix="/api/v1/courses/{course_id}",
    tags=["courses"],
    responses=error_responses(401, 403, 404, 422, 503),
)

# The stored values (db.models CLASSIFICATIONS, GUARDRAIL_OUTCOMES; a unit test compares).
Classification = Literal[
    "debugging", "conceptual", "implementation", "solution-request", "off-topic"
]
Guardrail = Literal["passed", "rewritten", "refused", "withheld"]
RatingFilter = Literal["helpful", "unhelpful", "scored", "unrated"]
LIVE_SHARED_SECONDS = 1.0  # staff polling one course within a second share one computation
LIVE: SharedResult[LivePublic] = SharedResult(LIVE_SHARED_SECONDS)


def _interactions(session: Session, /, **kwargs: Any) -> CourseInteractionsPublic:
    items, next_id = staff_views.list_interactions(session, **kwargs)
    return CourseInteractionsPublic.model_validate({"items": items, "next_before_id": next_id})


@router.get("/interactions", response_model=CourseInteractionsPublic)
async def read_course_interactions(
    access: CourseReader,
    state: StateDep,
    student_id: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
    notebook: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
    classification: Classification | None = None,
    guardrail: Guardrail | None = None,
    rating: Annotated[
        RatingFilter | None,
        Query(description="helpful / unhelpful (thumbs), scored (1-5 given), unrated"),
    ] = None,
    since: TimeQuery = None,
    until: TimeQuery = None,
    before_id: Annotated[
        uuid.UUID | None, Query(description="next_before_id of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CourseInteractionsPublic:
    """The course's questions and answers, newest first, filtered; one student's whole
    conversation is `student_id` with a large `limit`. 403 when the course shows its staff
    totals only (policy staff_reading = aggregates, admins included)."""
    staff_views.may_read_questions(access.course.tutor_policy)
    where = staff_views.InteractionFilter(
        student_id=student_id,
        notebook=notebook,
        classification=classification,
        guardrail=guardrail,
        rating=rating,
        since=since,
        until=until,
    )
    return await state.db(
        _interactions, course_id=access.course.id, where=where, before_id=before_id, limit=limit
    )


@router.get("/live", response_model=LivePublic)
async def read_course_live(
    access: CourseReader,
    state: StateDep,
    minutes: Annotated[int, Query(ge=1, le=120, description="the window, in minutes")] = 15,
) -> LivePublic:
    """The live lab: the course's students active in the last `minutes`, most in need of
    help first, with the window's error types and question topics (analytics.live).
    Computed at most once a second per course and window (`generated_at` says when)."""
    course_id = access.course.id

    async def compute() -> LivePublic:
        now = datetime.now(UTC)
        since = now - timedelta(minutes=minutes)
        asked, runs = await state.db(staff_views.live_window, course_id=course_id, since=since)
        # pandas work off the event loop.
        view = await anyio.to_thread.run_sync(lambda: live_rows(*frames(asked, runs), now=now))
        return LivePublic.model_validate({"generated_at": now, "window_minutes": minutes, **view})

    return await LIVE.get((course_id, minutes), compute)
