"""A course's assignments and AI windows (issue 22): create, list, change, delete.

The API (api.routes.assignments) and the CLI (`ainative assignments`) call these same
functions. Each change is audited in the caller's transaction with who made it; an audit
entry names the assignment, never its reference solution or hidden tests. Like every
service it never commits.

Who sees the reference solution and hidden tests is decided by the caller: `public`
leaves them out unless asked (instructors and admins only).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ainative import audit
from ainative.course.errors import (
    AssignmentNotFoundError,
    CourseError,
    DuplicateAssignmentError,
)
from ainative.db.models import AI_WINDOW_MODES, AiWindow, Assignment, Interaction

EDITABLE = (
    "title",
    "notebook_path",
    "cell_ids",
    "reference_solution",
    "hidden_tests",
    "tutor_notes",
)
SECRET = ("reference_solution", "hidden_tests")  # never to students, assistants, prompts
# What the columns hold (characters); the API's schemas state the same bounds, the CLI
# relies on these.
MAX_LENGTH = {
    "title": 200,
    "notebook_path": 500,
    "reference_solution": 50_000,
    "hidden_tests": 50_000,
    "tutor_notes": 4000,
}
MAX_CELL_IDS = 200


def _check(values: Mapping[str, Any]) -> None:
    """A CourseError naming the field that is blank or too long (never a database error)."""
    for name, limit in MAX_LENGTH.items():
        value = values.get(name)
        if value is None:
            continue
        if name != "tutor_notes" and not str(value).strip():
            raise CourseError(f"{name} must not be blank")
        if len(value) > limit:
            raise CourseError(f"{name} is longer than {limit} characters ({len(value)})")
    cells = values.get("cell_ids")
    if cells is not None and (len(cells) > MAX_CELL_IDS or any(len(c) > 64 for c in cells)):
        raise CourseError(f"cell_ids: at most {MAX_CELL_IDS} ids of at most 64 characters")


def public(
    a: Assignment, *, with_reference: bool, leak: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The assignment as a dict; the reference and hidden tests only `with_reference`."""
    out: dict[str, Any] = {
        "id": a.id,
        "course_id": a.course_id,
        "title": a.title,
        "notebook_path": a.notebook_path,
        "cell_ids": list(a.cell_ids or ()),
        "tutor_notes": a.tutor_notes,
        "has_hidden_tests": bool(a.hidden_tests),
        "created_by": a.created_by,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "answers_scored": int((leak or {}).get("answers_scored", 0)),
        "leaked": int((leak or {}).get("leaked", 0)),
    }
    if with_reference:
        out["reference_solution"] = a.reference_solution
        out["hidden_tests"] = a.hidden_tests
    return out


def window_public(w: AiWindow) -> dict[str, Any]:
    return {
        "id": w.id,
        "course_id": w.course_id,
        "assignment_id": w.assignment_id,
        "mode": w.mode,
        "starts_at": w.starts_at,
        "ends_at": w.ends_at,
    }


def _flush_unique(session: Session, course_id: int, notebook_path: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise DuplicateAssignmentError(
            f"course {course_id} already has an assignment for notebook {notebook_path!r}"
        ) from exc


def get(session: Session, *, course_id: int, assignment_id: int) -> Assignment:
    found = session.get(Assignment, assignment_id)
    if found is None or found.course_id != course_id:
        raise AssignmentNotFoundError(f"no assignment with id {assignment_id} in this course")
    return found


def leak_counts(session: Session, *, course_id: int) -> dict[int, dict[str, int]]:
    """Per assignment of the course: answers leak-scored, and those above the threshold."""
    leaked = Interaction.leak["leak"].as_boolean()
    rows = session.execute(
        select(
            Interaction.assignment_id,
            func.count(Interaction.leak_score),
            func.count(case((leaked.is_(True), 1))),
        )
        .where(Interaction.course_id == course_id, Interaction.assignment_id.is_not(None))
        .group_by(Interaction.assignment_id)
    ).all()
    return {int(a or 0): {"answers_scored": int(n), "leaked": int(k)} for a, n, k in rows}


def list_assignments(
    session: Session, *, course_id: int, with_reference: bool
) -> list[dict[str, Any]]:
    counts = leak_counts(session, course_id=course_id)
    found = session.execute(
        select(Assignment).where(Assignment.course_id == course_id).order_by(Assignment.id)
    ).scalars()
    return [public(a, with_reference=with_reference, leak=counts.get(a.id)) for a in found]


def create(
    session: Session, *, course_id: int, actor_id: int | None, fields: Mapping[str, Any]
) -> Assignment:
    values = {k: fields[k] for k in EDITABLE if fields.get(k) is not None}
    _check(values)
    if not values.get("title") or not values.get("notebook_path"):
        raise CourseError("an assignment needs a title and a notebook_path")
    if not values.get("reference_solution"):
        raise CourseError("an assignment needs a reference_solution")
    a = Assignment(course_id=course_id, created_by=actor_id, **values)
    session.add(a)
    _flush_unique(session, course_id, a.notebook_path)
    audit.record(
        session,
        actor_id=actor_id,
        action="assignment.created",
        course_id=course_id,
        details={"id": a.id, "title": a.title, "notebook_path": a.notebook_path},
    )
    return a


def update(
    session: Session,
    *,
    course_id: int,
    assignment_id: int,
    actor_id: int | None,
    changes: Mapping[str, Any],
) -> Assignment:
    """Change the fields in `changes` (null clears hidden_tests/tutor_notes only)."""
    a = get(session, course_id=course_id, assignment_id=assignment_id)
    _check(changes)
    changed = []
    for name in EDITABLE:
        if name not in changes:
            continue
        value = changes[name]
        if value is None and name not in ("hidden_tests", "tutor_notes"):
            raise CourseError(f"{name} cannot be cleared")
        if getattr(a, name) != value:
            setattr(a, name, value)
            changed.append(name)
    if changed:
        a.updated_at = func.now()
        _flush_unique(session, course_id, a.notebook_path)
        session.refresh(a)
        audit.record(
            session,
            actor_id=actor_id,
            action="assignment.changed",
            course_id=course_id,
            details={"id": a.id, "fields": changed},
        )
    return a


def remove(session: Session, *, course_id: int, assignment_id: int, actor_id: int | None) -> None:
    a = get(session, course_id=course_id, assignment_id=assignment_id)
    audit.record(
        session,
        actor_id=actor_id,
        action="assignment.deleted",
        course_id=course_id,
        details={"id": a.id, "title": a.title, "notebook_path": a.notebook_path},
    )
    session.delete(a)
    session.flush()


def list_windows(
    session: Session, *, course_id: int, assignment_id: int | None = None
) -> list[AiWindow]:
    query = select(AiWindow).where(AiWindow.course_id == course_id)
    if assignment_id is not None:
        query = query.where(AiWindow.assignment_id == assignment_id)
    return list(session.execute(query.order_by(AiWindow.id)).scalars())


def create_window(
    session: Session,
    *,
    course_id: int,
    actor_id: int | None,
    mode: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    assignment_id: int | None = None,
) -> AiWindow:
    if mode not in AI_WINDOW_MODES:
        raise CourseError(f"mode must be one of {', '.join(AI_WINDOW_MODES)}")
    if starts_at and ends_at and ends_at <= starts_at:
        raise CourseError("ends_at must be after starts_at")
    for moment in (starts_at, ends_at):
        if moment is not None and moment.tzinfo is None:
            raise CourseError("starts_at and ends_at need a time zone (e.g. 2026-12-07T09:00Z)")
    if assignment_id is not None:
        get(session, course_id=course_id, assignment_id=assignment_id)
    w = AiWindow(
        course_id=course_id,
        assignment_id=assignment_id,
        mode=mode,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    session.add(w)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="ai_window.created",
        course_id=course_id,
        details={
            "id": w.id,
            "assignment_id": assignment_id,
            "mode": mode,
            "starts_at": starts_at.isoformat() if starts_at else None,
            "ends_at": ends_at.isoformat() if ends_at else None,
        },
    )
    return w


def remove_window(
    session: Session, *, course_id: int, window_id: int, actor_id: int | None
) -> None:
    gone = session.execute(
        delete(AiWindow)
        .where(AiWindow.id == window_id, AiWindow.course_id == course_id)
        .returning(AiWindow.assignment_id, AiWindow.mode)
    ).one_or_none()
    if gone is None:
        raise AssignmentNotFoundError(f"no AI window with id {window_id} in this course")
    audit.record(
        session,
        actor_id=actor_id,
        action="ai_window.deleted",
        course_id=course_id,
        details={"id": window_id, "assignment_id": gone[0], "mode": gone[1]},
    )
