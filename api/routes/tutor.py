"""Routes: the tutor — ask, long-poll for the answer, list, rate, quota, sessions."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from ainative import quota
from ainative.db.engine import get_engine
from ainative.tutor import repository as repo
from ainative.tutor.service import Question, TutorError, course_policy, submit
from api.deps import CurrentUser, Principal
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
from api.tutor_runtime import TutorRuntime, get_runtime, lifespan

router = APIRouter(prefix="/api/v1/tutor", tags=["tutor"], lifespan=lifespan)
FINAL = ("done", "error")
NOT_FOUND = "interaction not found"


def get_conn() -> Iterator[Connection]:
    """One pooled connection in autocommit: each statement is one round trip."""
    with get_engine().connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


ConnDep = Annotated[Connection, Depends(get_conn)]
RuntimeDep = Annotated[TutorRuntime, Depends(get_runtime)]


async def _db(fn: Any, *args: Any) -> Any:
    """Run fn(conn, *args) on a fresh pooled connection in the thread pool."""

    def call() -> Any:
        with get_engine().begin() as conn:
            return fn(conn, *args)

    return await anyio.to_thread.run_sync(call)


def _http(exc: TutorError) -> HTTPException:
    return HTTPException(exc.status, exc.detail, headers=exc.headers or None)


@router.post(
    "/requests",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TutorRequestAccepted,
    responses={200: {"model": InteractionPublic, "description": "answered from the cache"}},
)
async def create_request(
    body: TutorRequestCreate, user: CurrentUser, conn: ConnDep, runtime: RuntimeDep
) -> Any:
    """Ask the tutor: 202 with the id to poll, or 200 with the answer on a cache hit."""
    question = Question(
        user_id=user.id, prompt=body.prompt, mode=body.mode,
        context=body.context.compact() if body.context else {}, course_id=body.course_id,
        session_id=body.session_id, client_request_id=body.client_request_id,
    )  # fmt: skip
    try:
        result = await submit(
            question, conn=conn, redis=runtime.redis, cache=runtime.cache,
            enqueue=runtime.enqueue, settings=runtime.settings,
        )  # fmt: skip
    except TutorError as exc:
        if exc.extra:
            body = {**exc.extra, "detail": exc.detail}
            return JSONResponse(body, status_code=exc.status, headers=exc.headers)
        raise _http(exc) from None
    row = result.row
    if row["status"] in FINAL:
        public = InteractionPublic.from_row(row)
        return JSONResponse(public.model_dump(mode="json"), status_code=200)
    return TutorRequestAccepted(id=row["id"], status=row["status"])


def _authorized(conn: Connection, user: Principal, row: dict[str, Any] | None) -> bool:
    if row is None:
        return False
    if row["user_id"] == user.id or user.has_role("admin"):
        return True
    return bool(
        user.has_role("instructor")
        and row["course_id"]
        and repo.is_course_instructor(conn, user.id, row["course_id"])
    )


def _read_authorized(conn: Connection, interaction_id: uuid.UUID, user: Principal) -> Any:
    row = repo.get_interaction(conn, interaction_id)
    return row if _authorized(conn, user, row) else None


@router.get("/requests/{interaction_id}", response_model=InteractionPublic)
async def read_request(
    interaction_id: uuid.UUID,
    user: CurrentUser,
    runtime: RuntimeDep,
    wait: Annotated[float, Query(ge=0, description="seconds to wait for the answer")] = 0,
) -> InteractionPublic:
    """One interaction; with `wait`, hold the request until it is answered (long-poll)."""
    deadline = time.monotonic() + min(wait, runtime.settings.long_poll_max_seconds)
    notifier = runtime.notifier
    # Subscribe before the first read, and clear before every re-read: no lost wake-ups.
    with notifier.waiter(str(interaction_id)) as woken:
        row = await _db(_read_authorized, interaction_id, user)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        while row["status"] not in FINAL:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # Without the subscription (Redis down), re-check the database every second.
            timeout = remaining if notifier.connected else min(1.0, remaining)
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout)
            woken.clear()
            row = await _db(repo.get_interaction, interaction_id) or row
    return InteractionPublic.from_row(row)


@router.get("/requests", response_model=InteractionList)
async def list_requests(
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> InteractionList:
    """The caller's own interactions, newest first."""
    rows = await _db(repo.list_interactions, user.id, limit, offset)
    return InteractionList(
        items=[InteractionPublic.from_row(r) for r in rows], limit=limit, offset=offset
    )


def _rate(conn: Connection, interaction_id: uuid.UUID, user_id: int, body: RatingCreate) -> Any:
    row = repo.rate_interaction(conn, interaction_id, user_id, body.value)
    if row is not None:
        payload = {"rating": body.value, "helpful": body.helpful, "comment": body.comment}
        repo.add_event(
            conn, "interaction.rated", user_id=user_id, course_id=row["course_id"],
            session_id=row["session_id"], interaction_id=row["id"], payload=payload,
        )  # fmt: skip
    return row


@router.post("/requests/{interaction_id}/rating", response_model=InteractionPublic)
async def rate_request(
    interaction_id: uuid.UUID, body: RatingCreate, user: CurrentUser
) -> InteractionPublic:
    """Rate one of your answers (-1..5, or helpful true/false)."""
    row = await _db(_rate, interaction_id, user.id, body)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return InteractionPublic.from_row(row)


@router.get("/quota", response_model=QuotaPublic)
async def read_quota(
    user: CurrentUser,
    conn: ConnDep,
    runtime: RuntimeDep,
    course_id: Annotated[int | None, Query(ge=1)] = None,
) -> QuotaPublic:
    """Questions left this hour and when the quota refills."""
    try:
        policy = await course_policy(conn, user.id, course_id)
    except TutorError as exc:
        raise _http(exc) from None
    limit = quota.limit_for(policy, runtime.settings)
    current = await quota.peek(runtime.redis, user.id, course_id, limit)
    return QuotaPublic(**current.public(), course_id=course_id)


def _start_session(conn: Connection, user_id: int, body: SessionCreate) -> Any:
    if body.course_id is not None:
        if repo.course_policy(conn, user_id, body.course_id) is None:
            return None
    row = repo.start_session(conn, user_id, body.course_id, body.client)
    repo.add_event(
        conn, "session.start", user_id=user_id, course_id=body.course_id,
        session_id=row["id"], payload={"client": body.client},
    )  # fmt: skip
    return row


@router.post("/sessions", response_model=SessionPublic, status_code=status.HTTP_201_CREATED)
async def create_session(body: SessionCreate, user: CurrentUser) -> SessionPublic:
    """Start a tutoring session (a notebook, a lab) that later questions can refer to."""
    row = await _db(_start_session, user.id, body)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"course {body.course_id} not found")
    return SessionPublic.model_validate(row)


def _end_session(conn: Connection, session_id: uuid.UUID, user_id: int) -> Any:
    row = repo.end_session(conn, session_id, user_id)
    if row is not None:
        repo.add_event(
            conn, "session.end", user_id=user_id, course_id=row["course_id"],
            session_id=row["id"], payload={"client": row["client"]},
        )  # fmt: skip
    return row


@router.post("/sessions/{session_id}/end", response_model=SessionPublic)
async def end_session(session_id: uuid.UUID, user: CurrentUser) -> SessionPublic:
    """End your tutoring session."""
    row = await _db(_end_session, session_id, user.id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "session not found")
    return SessionPublic.model_validate(row)
