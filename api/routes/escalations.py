"""Routes: ask a person (issue 23) — a student hands the conversation to the course's staff.

The student creates one from their tutor session, reads it (long-poll with `wait` and
`seen`) and may withdraw it; the course's staff (assistants, instructors, admins) list the
course's queue, claim one (only one claim succeeds), reply in Markdown and resolve it.
Another student's escalation is a 404; a member of the course who is not staff gets 403.
Every change wakes the escalation's long-polls through the tutor's done signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from redis.exceptions import RedisError

from ainative.escalation import queue
from ainative.notebook.render import render_markdown
from ainative.tutor.streaming.notify import DONE_CHANNEL
from api.deps import CourseLister, Principal, StaffCaller, TutorUser
from api.routes.courses import CourseReader
from api.schemas.errors import error_responses
from api.schemas.escalations import (
    EscalationCreate,
    EscalationList,
    EscalationPublic,
    EscalationStatus,
    ReplyCreate,
)
from api.state import ApiState, StateDep

router = APIRouter(prefix="/api/v1", tags=["escalations"], responses=error_responses(401, 422, 503))
ONE = error_responses(403, 404, 409)
MAX_WAIT = 30.0


def _caller(user: Principal) -> queue.Caller:
    return queue.Caller(id=user.id, admin=user.has_role("admin"))


def version(row: dict[str, Any]) -> str:
    return f"{row['status']}:{len(row['replies'])}"


def public(row: dict[str, Any], *, staff: bool) -> EscalationPublic:
    replies = [
        {**r, "html": render_markdown(r["text"]), "author": r["author"]} for r in row["replies"]
    ]
    return EscalationPublic.model_validate(
        {
            **row,
            "replies": replies,
            "version": version(row),
            "snapshot": row["snapshot"] if staff else None,
        }
    )


async def _announce(state: ApiState, escalation_id: uuid.UUID) -> None:
    """Wake the escalation's long-polls (the student's widget); Redis down: they re-read."""
    with contextlib.suppress(RedisError, OSError):
        await state.redis.publish(DONE_CHANNEL, str(escalation_id))


@router.post(
    "/tutor/sessions/{session_id}/escalations",
    response_model=EscalationPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 404, 409),
)
async def create_escalation(
    session_id: uuid.UUID, body: EscalationCreate, user: TutorUser, state: StateDep
) -> EscalationPublic:
    """Ask a person: the conversation (and what the student ticked) goes to the course's staff."""
    request = queue.Request(
        message=body.message,
        include_conversation=body.include_conversation,
        cell=body.cell.model_dump() if body.cell else None,
        notebook_path=body.notebook_path,
        cells=[c.model_dump() for c in body.cells or []],
        assignment_id=body.assignment_id,
    )
    row = await state.db(queue.create, user_id=user.id, session_id=session_id, request=request)
    return public(row, staff=False)


@router.get("/escalations/{escalation_id}", response_model=EscalationPublic, responses=ONE)
async def read_escalation(
    escalation_id: uuid.UUID,
    user: CourseLister,
    state: StateDep,
    wait: Annotated[float, Query(ge=0, description="seconds to wait for a change")] = 0,
    seen: Annotated[
        str | None, Query(max_length=40, description="the `version` already shown")
    ] = None,
) -> EscalationPublic:
    """Your escalation (status, position, replies), or one of your course's as its staff;
    with `wait` and `seen`, held until its version differs from `seen`."""
    caller = _caller(user)
    deadline = time.monotonic() + min(wait, MAX_WAIT)
    with state.notifier.waiter(str(escalation_id)) as woken:
        row = await state.db(queue.read, caller=caller, escalation_id=escalation_id)
        while seen is not None and version(row) == seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            timeout = remaining if state.notifier.connected else min(1.0, remaining)
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout)
            woken.clear()
            row = await state.db(queue.read, caller=caller, escalation_id=escalation_id)
    staff = row["user_id"] != user.id
    return public(row, staff=staff)


@router.post(
    "/escalations/{escalation_id}/withdraw", response_model=EscalationPublic, responses=ONE
)
async def withdraw_escalation(
    escalation_id: uuid.UUID, user: TutorUser, state: StateDep
) -> EscalationPublic:
    """Take your request back (until staff resolved it)."""
    row = await state.db(queue.withdraw, user_id=user.id, escalation_id=escalation_id)
    await _announce(state, escalation_id)
    return public(row, staff=False)


@router.get(
    "/courses/{course_id}/escalations",
    response_model=EscalationList,
    responses=error_responses(403, 404),
)
async def list_escalations(
    access: CourseReader, state: StateDep, status: EscalationStatus | None = None
) -> EscalationList:
    """The course's hand-off queue, oldest first, with each one's waiting time (staff)."""
    rows = await state.db(queue.list_course, course_id=access.course.id, status=status)
    return EscalationList.model_validate({"data": rows})


@router.post("/escalations/{escalation_id}/claim", response_model=EscalationPublic, responses=ONE)
async def claim_escalation(
    escalation_id: uuid.UUID, user: StaffCaller, state: StateDep
) -> EscalationPublic:
    """Take a waiting request: 409 when someone else already did."""
    row = await state.db(queue.claim, caller=_caller(user), escalation_id=escalation_id)
    await _announce(state, escalation_id)
    return public(row, staff=True)


@router.post(
    "/escalations/{escalation_id}/reply",
    response_model=EscalationPublic,
    responses=error_responses(400, 403, 404, 409),
)
async def reply_escalation(
    escalation_id: uuid.UUID, body: ReplyCreate, user: StaffCaller, state: StateDep
) -> EscalationPublic:
    """Reply (Markdown) to a request you claimed; it appears in the student's chat."""
    row = await state.db(
        queue.reply, caller=_caller(user), escalation_id=escalation_id, body=body.text
    )
    await _announce(state, escalation_id)
    return public(row, staff=True)


@router.post("/escalations/{escalation_id}/resolve", response_model=EscalationPublic, responses=ONE)
async def resolve_escalation(
    escalation_id: uuid.UUID, user: StaffCaller, state: StateDep
) -> EscalationPublic:
    """Close a request staff took."""
    row = await state.db(queue.resolve, caller=_caller(user), escalation_id=escalation_id)
    await _announce(state, escalation_id)
    return public(row, staff=True)
