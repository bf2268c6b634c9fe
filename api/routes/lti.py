"""Routes: a course's LMS roster sync (NRPS, ainative.lti.roster).

POST asks for a sync now (course instructors and admins; the worker runs it, 202);
GET shows the last sync and its changes (course staff: instructors, assistants,
admins), which the staff console's course page displays.
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ainative.lti import roster
from ainative.lti.errors import RosterError
from ainative.runtime.queue import TASK_LTI_SYNC
from api.deps import StaffCaller
from api.routes.courses import CourseReader, CourseStaff
from api.schemas.errors import error_responses
from api.state import StateDep

router = APIRouter(
    prefix="/api/v1/courses", tags=["courses"], responses=error_responses(401, 403, 404, 422, 503)
)


class RosterSyncPublic(BaseModel):
    """One roster sync: status, when, and the members added, removed, re-roled."""

    id: int
    course_id: int
    status: str = Field(description="running, done or error")
    started_at: str | None
    finished_at: str | None
    changes: dict[str, list[dict[str, Any]]] = Field(
        description="added / removed / role_changed: [{user_id, username, role}]"
    )
    error: str | None


class RosterStatusPublic(BaseModel):
    lms_roster: bool = Field(description="whether an LMS context with NRPS is bound")
    last_sync: RosterSyncPublic | None


def _status(session: Session, *, course_id: int) -> RosterStatusPublic:
    last = roster.last_sync(session, course_id=course_id)
    return RosterStatusPublic(
        lms_roster=bool(roster.syncable_contexts(session, course_id)),
        last_sync=RosterSyncPublic.model_validate(last) if last else None,
    )


def _check_syncable(session: Session, *, course_id: int) -> None:
    if not roster.syncable_contexts(session, course_id):
        raise RosterError(
            "this course has no LMS roster: launch it once from an LMS course that offers "
            "Names and Role Provisioning"
        )


@router.get("/{course_id}/lti/roster-sync", response_model=RosterStatusPublic)
async def read_roster_sync(access: CourseReader, state: StateDep) -> RosterStatusPublic:
    """The course's last LMS roster sync and what it changed."""
    return await state.db(_status, course_id=access.course.id)


@router.post(
    "/{course_id}/lti/roster-sync",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RosterStatusPublic,
    responses=error_responses(409),
)
async def request_roster_sync(
    access: CourseStaff, caller: StaffCaller, state: StateDep
) -> RosterStatusPublic:
    """Sync the roster from the LMS now (the worker runs it; GET shows the result)."""
    await state.db(_check_syncable, course_id=access.course.id)
    args = [access.course.id, caller.id]
    await anyio.to_thread.run_sync(lambda: state.celery.send_task(TASK_LTI_SYNC, args=args))
    return await state.db(_status, course_id=access.course.id)
