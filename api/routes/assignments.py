"""Routes: a course's assignments and AI windows (issue 22).

Instructors of the course and admins (`CourseStaff`) create, change and delete them, and
see the reference solution and hidden tests; assistants (`CourseReader`) read the rest;
students are refused (403) by every route here, so no reply ever carries the reference
or hidden tests to a student. Every change is audited with who made it
(ainative.course.assignments).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from sqlalchemy.orm import Session

from ainative.course import assignment_stats
from ainative.course import assignments as service
from api.deps import StaffCaller
from api.routes.courses import CourseReader, CourseStaff
from api.schemas.assignments import (
    AiWindowCreate,
    AiWindowPublic,
    AiWindowsPublic,
    AssignmentCreate,
    AssignmentPublic,
    AssignmentsPublic,
    AssignmentStatsPublic,
    AssignmentUpdate,
)
from api.schemas.bounds import INT32_MAX
from api.schemas.errors import error_responses
from api.state import StateDep

router = APIRouter(
    prefix="/api/v1/courses/{course_id}",
    tags=["assignments"],
    responses=error_responses(401, 403, 404, 422, 503),
)
AssignmentIdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="an assignment's id")]
WindowIdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="an AI window's id")]
CONFLICT = error_responses(400, 409)
BODY = error_responses(400)


def _sees_reference(role: str) -> bool:
    return role in ("instructor", "admin")


def _one(session: Session, *, course_id: int, assignment_id: int, role: str) -> dict[str, Any]:
    a = service.get(session, course_id=course_id, assignment_id=assignment_id)
    counts = service.leak_counts(session, course_id=course_id).get(a.id)
    return service.public(a, with_reference=_sees_reference(role), leak=counts)


def _create(
    session: Session, *, course_id: int, actor_id: int, fields: dict[str, Any]
) -> dict[str, Any]:
    a = service.create(session, course_id=course_id, actor_id=actor_id, fields=fields)
    session.refresh(a)
    return service.public(a, with_reference=True)


def _update(
    session: Session, *, course_id: int, assignment_id: int, actor_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    service.update(
        session,
        course_id=course_id,
        assignment_id=assignment_id,
        actor_id=actor_id,
        changes=changes,
    )
    return _one(session, course_id=course_id, assignment_id=assignment_id, role="instructor")


def _stats(session: Session, *, course_id: int, assignment_id: int | None) -> dict[str, Any]:
    if assignment_id is not None:
        service.get(session, course_id=course_id, assignment_id=assignment_id)
    return assignment_stats.assignment_stats(
        session, course_id=course_id, assignment_id=assignment_id
    )


def _windows(
    session: Session, *, course_id: int, assignment_id: int | None
) -> list[dict[str, Any]]:
    if assignment_id is not None:
        service.get(session, course_id=course_id, assignment_id=assignment_id)
    found = service.list_windows(session, course_id=course_id, assignment_id=assignment_id)
    return [service.window_public(w) for w in found]


def _create_window(
    session: Session, *, course_id: int, actor_id: int, body: AiWindowCreate
) -> dict[str, Any]:
    w = service.create_window(
        session,
        course_id=course_id,
        actor_id=actor_id,
        mode=body.mode,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        assignment_id=body.assignment_id,
    )
    return service.window_public(w)


@router.get("/assignments", response_model=AssignmentsPublic)
async def list_assignments(access: CourseReader, state: StateDep) -> AssignmentsPublic:
    """The course's assignments with their leak counts; the reference solution and hidden
    tests for instructors and admins only."""
    items = await state.db(
        service.list_assignments,
        course_id=access.course.id,
        with_reference=_sees_reference(access.role),
    )
    return AssignmentsPublic.model_validate({"data": items})


@router.post(
    "/assignments",
    response_model=AssignmentPublic,
    status_code=status.HTTP_201_CREATED,
    responses=CONFLICT,
)
async def create_assignment(
    body: AssignmentCreate, access: CourseStaff, caller: StaffCaller, state: StateDep
) -> AssignmentPublic:
    """Add an assignment (course instructors and admins); 409 when its notebook has one."""
    item = await state.db(
        _create, course_id=access.course.id, actor_id=caller.id, fields=body.model_dump()
    )
    return AssignmentPublic.model_validate(item)


@router.get("/assignments/{assignment_id}", response_model=AssignmentPublic)
async def read_assignment(
    assignment_id: AssignmentIdPath, access: CourseReader, state: StateDep
) -> AssignmentPublic:
    item = await state.db(
        _one, course_id=access.course.id, assignment_id=assignment_id, role=access.role
    )
    return AssignmentPublic.model_validate(item)


@router.patch("/assignments/{assignment_id}", response_model=AssignmentPublic, responses=CONFLICT)
async def update_assignment(
    assignment_id: AssignmentIdPath,
    body: AssignmentUpdate,
    access: CourseStaff,
    caller: StaffCaller,
    state: StateDep,
) -> AssignmentPublic:
    """Change the fields sent (course instructors and admins)."""
    item = await state.db(
        _update,
        course_id=access.course.id,
        assignment_id=assignment_id,
        actor_id=caller.id,
        changes=body.changes(),
    )
    return AssignmentPublic.model_validate(item)


@router.delete("/assignments/{assignment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_assignment(
    assignment_id: AssignmentIdPath, access: CourseStaff, caller: StaffCaller, state: StateDep
) -> Response:
    """Delete the assignment and its AI windows; its interactions keep their scores."""
    await state.db(
        service.remove, course_id=access.course.id, assignment_id=assignment_id, actor_id=caller.id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/assignment-stats", response_model=AssignmentStatsPublic)
async def read_assignment_stats(
    access: CourseReader,
    state: StateDep,
    assignment_id: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
) -> AssignmentStatsPublic:
    """Leak numbers per assignment, experiment arm and ISO week (answers scored, leaked,
    passed the hidden tests, refused by an AI window) and each one's AI window now; counts
    only, for the course's staff."""
    item = await state.db(_stats, course_id=access.course.id, assignment_id=assignment_id)
    return AssignmentStatsPublic.model_validate(item)


@router.get("/ai-windows", response_model=AiWindowsPublic)
async def list_ai_windows(
    access: CourseReader,
    state: StateDep,
    assignment_id: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
) -> AiWindowsPublic:
    """The course's AI windows (course-wide and per assignment), or one assignment's."""
    items = await state.db(_windows, course_id=access.course.id, assignment_id=assignment_id)
    return AiWindowsPublic.model_validate({"data": items})


@router.post(
    "/ai-windows",
    response_model=AiWindowPublic,
    status_code=status.HTTP_201_CREATED,
    responses=BODY,
)
async def create_ai_window(
    body: AiWindowCreate, access: CourseStaff, caller: StaffCaller, state: StateDep
) -> AiWindowPublic:
    """When the tutor is normal, hints-only or off, for the course or one assignment
    (course instructors and admins); the strictest window in force wins."""
    item = await state.db(_create_window, course_id=access.course.id, actor_id=caller.id, body=body)
    return AiWindowPublic.model_validate(item)


@router.delete("/ai-windows/{window_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_ai_window(
    window_id: WindowIdPath, access: CourseStaff, caller: StaffCaller, state: StateDep
) -> Response:
    await state.db(
        service.remove_window, course_id=access.course.id, window_id=window_id, actor_id=caller.id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
