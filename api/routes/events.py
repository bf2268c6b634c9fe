"""Routes: research events sent by clients (notebook activity), stored for the caller only.

A body cannot name a user (extra fields are rejected): the owner of every stored event
is the authenticated caller. The rules live in ainative.course.events.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ainative.course import events as events_service
from ainative.course.events import NewEvent
from ainative.limits import ratelimit
from api.deps import AppSettings, RedisDep, TutorUser
from api.schemas.errors import error_responses
from api.schemas.events import EventBatchIn, EventBatchPublic, EventLimitsPublic
from api.state import StateDep

router = APIRouter(
    prefix="/api/v1/events", tags=["events"], responses=error_responses(401, 422, 503)
)
EVENTS_BATCH_PATH = "/api/v1/events/batch"  # has its own body limit (api.bodylimit)


async def limit_batches(user: TutorUser, redis: RedisDep, settings: AppSettings) -> None:
    """EVENTS_RATE_LIMIT batches per user per minute; more get 429."""
    await ratelimit.enforce(
        redis, "event-batch", f"user:{user.id}", limit=settings.events_rate_limit, window=60
    )


@router.get("/limits", response_model=EventLimitsPublic)
async def read_event_limits(user: TutorUser, state: StateDep) -> EventLimitsPublic:
    """The batch limits and whether the caller's events are recorded at all."""
    return EventLimitsPublic(consent=await state.db(events_service.has_consent, user_id=user.id))


@router.post(
    "/batch",
    response_model=EventBatchPublic,
    dependencies=[Depends(limit_batches)],
    responses=error_responses(400, 429),
)
async def create_event_batch(
    body: EventBatchIn, user: TutorUser, state: StateDep
) -> EventBatchPublic:
    """Store a batch of the caller's events; each is bound to a course like a tutor question."""
    result = await state.db(
        events_service.store_batch,
        user_id=user.id,
        events=[
            NewEvent(
                e.type,
                e.occurred_at,
                e.session_id,
                e.payload,
                course_id=e.course_id,
                notebook_path=e.notebook_path,
                cell_id=e.cell_id,
            )
            for e in body.events
        ],
        session_id=body.session_id,
        course_id=body.course_id,
    )
    return EventBatchPublic(received=result.received, stored=result.stored, consent=result.consent)
