"""What course staff read about a course: its questions and answers, the live window's
trace, and the roster's activity.

Every function takes the session first and keyword-only arguments after it, runs one
query per result (indexed on (course_id, created_at) / (course_id, occurred_at)) and
never commits. None of them reads an e-mail or a research consent choice: consent is
only ever counted (`consent_counts`). Whether the caller may read questions at all
(the policy's `staff_reading`) is decided by `may_read_questions`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, and_, cast, func, select, true, tuple_
from sqlalchemy.orm import Session, aliased

from ainative.course.errors import StaffReadingError
from ainative.course.event_types import CELL_EXECUTED
from ainative.db.models import ConsentRecord, Event, Interaction, Membership, User
from ainative.notebook.capture import TUTOR_CELL_SQL_PATTERN

AGGREGATES_ONLY = "this course shows its staff totals only"
RATINGS = ("helpful", "unhelpful", "scored", "unrated")


def may_read_questions(policy: dict[str, Any] | None) -> None:
    """Refuse (StaffReadingError, 403) when the course set staff reading to aggregates.

    The course's choice binds every reader, admins included: students were told "your
    course staff see totals only", and the console shows everyone the same course.
    """
    if (policy or {}).get("staff_reading") == "aggregates":
        raise StaffReadingError(AGGREGATES_ONLY)


@dataclass(frozen=True)
class InteractionFilter:
    """The console's filters of a course's questions; None leaves a filter out."""

    student_id: int | None = None
    notebook: str | None = None
    classification: str | None = None
    guardrail: str | None = None
    rating: str | None = None  # one of RATINGS
    since: datetime | None = None
    until: datetime | None = None


def _rating_clause(rating: str) -> Any:
    return {
        "helpful": Interaction.helpful.is_(True),
        "unhelpful": Interaction.helpful.is_(False),
        "scored": Interaction.score.is_not(None),
        "unrated": and_(Interaction.helpful.is_(None), Interaction.score.is_(None)),
    }[rating]


def list_interactions(
    session: Session,
    *,
    course_id: int,
    where: InteractionFilter,
    before_id: uuid.UUID | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """The course's interactions, newest first, and the id to page on (None: the last page).

    Keyset paging on (created_at, id): `before_id` is the last item of the previous page;
    an id of another course gives an empty page. One query.
    """
    i = Interaction
    stmt = (
        select(
            i.id,
            i.user_id,
            User.username,
            i.notebook_path.label("notebook"),
            i.session_id,
            i.turn,
            i.created_at,
            i.mode,
            i.classification,
            i.guardrail,
            i.status,
            i.helpful,
            i.score,
            i.prompt,
            i.answer,
            i.error,
        )
        .join(User, User.id == i.user_id)
        .where(i.course_id == course_id)
    )
    if where.student_id is not None:
        stmt = stmt.where(i.user_id == where.student_id)
    if where.notebook is not None:
        stmt = stmt.where(i.notebook_path == where.notebook)
    if where.classification is not None:
        stmt = stmt.where(i.classification == where.classification)
    if where.guardrail is not None:
        stmt = stmt.where(i.guardrail == where.guardrail)
    if where.rating is not None:
        stmt = stmt.where(_rating_clause(where.rating))
    if where.since is not None:
        stmt = stmt.where(i.created_at >= where.since)
    if where.until is not None:
        stmt = stmt.where(i.created_at < where.until)
    if before_id is not None:
        before = aliased(Interaction)
        cursor = (
            select(before.created_at, before.id)
            .where(before.id == before_id, before.course_id == course_id)
            .subquery()
        )
        stmt = stmt.where(
            tuple_(i.created_at, i.id)
            < tuple_(
                select(cursor.c.created_at).scalar_subquery(),
                select(cursor.c.id).scalar_subquery(),
            )
        )
    rows = session.execute(stmt.order_by(i.created_at.desc(), i.id.desc()).limit(limit + 1)).all()
    items = [_item(row._mapping) for row in rows[:limit]]
    more = len(rows) > limit
    return items, (items[-1]["id"] if more and items else None)


def _item(row: Any) -> dict[str, Any]:
    item = dict(row)
    item["id"] = str(item["id"])
    item["session_id"] = str(item["session_id"]) if item["session_id"] else None
    helpful, score = item.pop("helpful"), item.pop("score")
    item["rating"] = (
        None
        if helpful is None and score is None
        else {
            "helpful": helpful,
            "score": score,
        }
    )
    return item


def _students(course_id: int) -> Any:
    """The join condition: rows of the course's students only (staff trying the tutor out
    are not in the live view)."""
    return and_(Membership.course_id == course_id, Membership.role == "student")


LIVE_ASKED = ("user_id", "username", "created_at", "classification", "guardrail")
LIVE_RUNS = ("user_id", "username", "occurred_at", "event_type", "success", "error_type")


def live_window(
    session: Session, *, course_id: int, since: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The course's students' interactions and cell runs since `since`: two queries.

    Rows are tuples in the order of LIVE_ASKED and LIVE_RUNS (``analytics.live.frames``
    reads them so): no dict per row, the window can hold tens of thousands of runs.
    """
    asked = session.execute(
        select(
            Interaction.user_id,
            User.username,
            Interaction.created_at,
            Interaction.classification,
            Interaction.guardrail,
        )
        .join(Membership, and_(Membership.user_id == Interaction.user_id, _students(course_id)))
        .join(User, User.id == Interaction.user_id)
        .where(Interaction.course_id == course_id, Interaction.created_at >= since)
    ).all()
    runs = session.execute(
        select(
            Event.user_id,
            User.username,
            Event.occurred_at,
            Event.event_type,
            cast(Event.payload["success"].astext, Boolean),
            Event.payload["error_type"].astext,
        )
        .join(Membership, and_(Membership.user_id == Event.user_id, _students(course_id)))
        .join(User, User.id == Event.user_id)
        .where(
            Event.course_id == course_id,
            Event.occurred_at >= since,
            Event.event_type == CELL_EXECUTED,
            ~_tutor_cell(),
        )
    ).all()
    return [tuple(r) for r in asked], [tuple(r) for r in runs]


def _tutor_cell() -> Any:
    """The tutor's own cells (flagged by the recorder, or by their first line): no measure
    counts them (``analytics.load.TUTOR_CELL_SQL`` is the same rule)."""
    code = func.coalesce(Event.payload["code"].astext, "")
    return func.coalesce(
        cast(Event.payload["tutor_cell"].astext, Boolean), code.op("~")(TUTOR_CELL_SQL_PATTERN)
    )


def roster_activity(session: Session, *, course_id: int) -> dict[int, dict[str, Any]]:
    """Per member: joined_at, last_active_at, questions, last_error; one query.

    last_active_at is the later of the last question and the last cell run in this course;
    last_error is the error type of the member's last failing cell run in this course,
    else None (a tutor failure is not the student's error). The runs are read per member
    backwards on ix_events_user_occurred (LATERAL ... LIMIT 1), so a long term costs
    nothing more.
    """
    asked = (
        select(
            Interaction.user_id.label("user_id"),
            func.count().label("questions"),
            func.max(Interaction.created_at).label("last_asked"),
        )
        .where(Interaction.course_id == course_id)
        .group_by(Interaction.user_id)
        .subquery()
    )
    own_runs = and_(
        Event.user_id == Membership.user_id,
        Event.course_id == course_id,
        Event.event_type == CELL_EXECUTED,
    )
    last_run = (
        select(Event.occurred_at.label("at"))
        .where(own_runs)
        .order_by(Event.occurred_at.desc())
        .limit(1)
        .lateral("last_run")
    )
    last_failing = (
        select(Event.payload["error_type"].astext.label("error_type"))
        .where(own_runs, Event.payload["success"].astext == "false")
        .order_by(Event.occurred_at.desc())
        .limit(1)
        .lateral("last_failing")
    )
    rows = session.execute(
        select(
            Membership.user_id,
            Membership.created_at,
            func.coalesce(asked.c.questions, 0),
            func.greatest(asked.c.last_asked, last_run.c.at),
            last_failing.c.error_type,
        )
        .outerjoin(asked, asked.c.user_id == Membership.user_id)
        .outerjoin(last_run, true())
        .outerjoin(last_failing, true())
        .where(Membership.course_id == course_id)
    ).all()
    return {
        uid: {
            "joined_at": joined,
            "questions": int(questions),
            "last_active_at": last,
            "last_error": error,
        }
        for uid, joined, questions, last, error in rows
    }


def consent_counts(session: Session, *, course_id: int) -> dict[str, int]:
    """How many of the course's students granted, declined or never answered research
    consent (no one's choice, only the counts).

    "declined": consent is off and the student chose so themselves (a consent record
    after registration); "unset": off as registration left it (or as migration 0012 dated
    it), never chosen since.
    """
    answered = (
        select(ConsentRecord.user_id)
        .where(
            ConsentRecord.user_id == User.id,
            ConsentRecord.source.not_in(("registration", "migration")),  # nobody chose then
        )
        .exists()
    )
    row = session.execute(
        select(
            func.count().filter(User.research_consent.is_(True)),
            func.count().filter(and_(User.research_consent.is_not(True), answered)),
            func.count().filter(and_(User.research_consent.is_not(True), ~answered)),
        )
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.course_id == course_id, Membership.role == "student")
    ).one()
    return {"granted": int(row[0]), "declined": int(row[1]), "unset": int(row[2])}


__all__ = [
    "AGGREGATES_ONLY",
    "RATINGS",
    "InteractionFilter",
    "consent_counts",
    "list_interactions",
    "live_window",
    "may_read_questions",
    "roster_activity",
]
