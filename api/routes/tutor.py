"""Routes: the tutor — ask, long-poll or stream the answer, list, rate, quota, sessions."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack, nullcontext
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import JSONResponse, StreamingResponse

from ainative.db.engine import on_connection
from ainative.limits import quota
from ainative.limits.ratelimit import waiting_slot
from ainative.tutor import repository as repo
from ainative.tutor import sessions
from ainative.tutor.ratings import rate_interaction
from ainative.tutor.streaming import long_poll, relay
from ainative.tutor.submit import Question, bind, submit
from api.deps import TutorUser
from api.schemas.bounds import CourseIdQuery, OffsetQuery
from api.schemas.errors import error_responses
from api.schemas.tutor import (
    InteractionList,
    InteractionPublic,
    QuotaPublic,
    RatingCreate,
    SessionCreate,
    SessionPublic,
    TutorRequestAccepted,
    TutorRequestCreate,
)
from api.sse import HoldingStreamingResponse, frames
from api.state import StateDep

router = APIRouter(prefix="/api/v1/tutor", tags=["tutor"], responses=error_responses(401, 422, 503))


@router.post(
    "/requests",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TutorRequestAccepted,
    responses={
        200: {"model": InteractionPublic, "description": "answered from the cache"},
        **error_responses(400, 403, 404, 429),
    },
)
async def create_request(body: TutorRequestCreate, user: TutorUser, state: StateDep) -> Any:
    """Ask the tutor: 202 with the id to poll, or 200 with the answer on a cache hit."""
    question = Question(
        user_id=user.id,
        prompt=body.prompt,
        mode=body.mode,
        context=body.context.compact() if body.context else {},
        course_id=body.course_id,
        session_id=body.session_id,
        client_request_id=body.client_request_id,
        notebook_path=body.notebook_path,
        cell_id=body.cell_id,
    )
    result = await submit(
        question,
        db=state.db,
        redis=state.redis,
        cache=state.cache,
        enqueue=state.enqueue,
        settings=state.settings,
    )
    row = result.row
    if row["status"] in long_poll.FINAL:
        public = InteractionPublic.from_row(row)
        return JSONResponse(public.model_dump(mode="json"), status_code=200)
    return TutorRequestAccepted(id=row["id"], status=row["status"])


@router.get(
    "/requests/{interaction_id}", response_model=InteractionPublic, responses=error_responses(404)
)
async def read_request(
    interaction_id: uuid.UUID,
    user: TutorUser,
    state: StateDep,
    wait: Annotated[float, Query(ge=0, description="seconds to wait for the answer")] = 0,
) -> InteractionPublic:
    """One interaction; with `wait`, hold the request until it is answered (long-poll).

    A user holds at most LONG_POLLS_PER_USER waiting requests at once (429 beyond).
    """
    wait = min(wait, state.settings.long_poll_max_seconds)
    slot = waiting_slot(state.redis, user.id, state.settings) if wait > 0 else nullcontext()
    async with slot:
        row = await long_poll.wait_for_answer(
            state.db,
            state.notifier,
            interaction_id,
            user_id=user.id,
            roles=user.roles,
            wait=wait,
        )
    return InteractionPublic.from_row(row)


@router.get(
    "/requests/{interaction_id}/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "reset, delta, final"},
        **error_responses(404, 429),
    },
)
async def stream_request(
    interaction_id: uuid.UUID,
    user: TutorUser,
    state: StateDep,
    last_event_id: Annotated[
        str,
        Header(
            description="resume after this event (an id of an earlier event of this stream)",
            pattern=r"^[0-9]{1,20}-[0-9]{1,20}$",
        ),
    ] = "",
) -> StreamingResponse:
    """The answer as it is written (Server-Sent Events), then the stored interaction.

    An open stream is one of the user's LONG_POLLS_PER_USER waiting requests (429 beyond),
    held until the stream ends.
    """
    held = AsyncExitStack()
    await held.enter_async_context(waiting_slot(state.redis, user.id, state.settings))
    try:
        events = await relay.open_stream(
            state.db,
            state.redis,
            state.notifier,
            state.hub,
            interaction_id,
            user_id=user.id,
            roles=user.roles,
            last_event_id=last_event_id,
            max_seconds=state.settings.stream_max_seconds,
        )
    except BaseException:
        await held.aclose()
        raise
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return HoldingStreamingResponse(
        frames(events), held, media_type="text/event-stream", headers=headers
    )


@router.get("/requests", response_model=InteractionList)
async def list_requests(
    user: TutorUser,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: OffsetQuery = 0,
) -> InteractionList:
    """The caller's own interactions, newest first."""
    rows = await state.db(on_connection(repo.list_interactions), user.id, limit, offset)
    return InteractionList(
        items=[InteractionPublic.from_row(r) for r in rows], limit=limit, offset=offset
    )


@router.post(
    "/requests/{interaction_id}/rating",
    response_model=InteractionPublic,
    responses=error_responses(400, 404),
)
async def rate_request(
    interaction_id: uuid.UUID, body: RatingCreate, user: TutorUser, state: StateDep
) -> InteractionPublic:
    """Rate one of your answers: helpful (true/false) and/or a score from 1 to 5."""
    row = await state.db(
        on_connection(rate_interaction),
        interaction_id=interaction_id,
        user_id=user.id,
        helpful=body.helpful,
        score=body.score,
        comment=body.comment,
    )
    return InteractionPublic.from_row(row)


@router.get("/quota", response_model=QuotaPublic, responses=error_responses(404))
async def read_quota(
    user: TutorUser,
    state: StateDep,
    course_id: CourseIdQuery = None,
) -> QuotaPublic:
    """Questions left this hour and when the quota refills (the course as for a question)."""
    bound = await bind(state.db, user.id, course_id)
    limit = quota.limit_for(bound.policy, state.settings)
    current = await quota.peek(state.redis, user.id, bound.course_id, limit)
    return QuotaPublic(**current.public(), course_id=bound.course_id)


@router.post(
    "/sessions",
    response_model=SessionPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 404),
)
async def create_session(body: SessionCreate, user: TutorUser, state: StateDep) -> SessionPublic:
    """Start a tutoring session (a notebook, a lab) that later questions can refer to."""
    row = await state.db(
        on_connection(sessions.start_session),
        user_id=user.id,
        course_id=body.course_id,
        client=body.client,
    )
    return SessionPublic.model_validate(row)


@router.post(
    "/sessions/{session_id}/end", response_model=SessionPublic, responses=error_responses(404)
)
async def end_session(session_id: uuid.UUID, user: TutorUser, state: StateDep) -> SessionPublic:
    """End your tutoring session."""
    row = await state.db(
        on_connection(sessions.end_session), session_id=session_id, user_id=user.id
    )
    return SessionPublic.model_validate(row)
