"""The hand-off queue: a student asks a person; the course's staff claim, reply, resolve.

Statuses: waiting → claimed (one staff member took it) → answered (a reply was sent) →
resolved; the student may withdraw until it is resolved. A claim is one conditional
UPDATE (`WHERE status = 'waiting'`), so two assistants never both hold one. Staff are the
course's assistants and instructors, and admins; every staff action is audited in its own
transaction (ainative.audit). A student sees only their own escalations: another's is the
same 404 as a missing one. Services take a Session and never commit.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ainative import audit
from ainative.course.courses import member_role
from ainative.db.models import ESCALATION_OPEN
from ainative.escalation.errors import (
    EscalationNotFoundError,
    EscalationStateError,
    NoCourseError,
    NotEscalationStaffError,
)
from ainative.escalation.snapshot import MAX_OUTPUT, MAX_SOURCE, bound_cells, trim
from ainative.tutor.errors import SessionNotFoundError

Row = dict[str, Any]
STAFF_ROLES = ("assistant", "instructor")
OPEN_SQL = "(" + ", ".join(f"'{s}'" for s in ESCALATION_OPEN) + ")"
DEFAULT_ALERT_MINUTES = 10  # a course's policy may set escalation_alert_minutes
CONVERSATION_TURNS = 50


@dataclass(frozen=True)
class Caller:
    id: int
    admin: bool = False


@dataclass(frozen=True)
class Request:
    """What the student chose to send (each part may be left out in the widget)."""

    message: str
    include_conversation: bool = True
    cell: dict[str, Any] | None = None  # {"source", "error", "execution_count"}
    notebook_path: str | None = None
    cells: list[dict[str, Any]] | None = None
    assignment_id: int | None = None


def _one(session: Session, sql: str, **params: Any) -> Row | None:
    row = session.execute(text(sql), params).mappings().first()
    return dict(row) if row is not None else None


def _conversation(session: Session, session_id: uuid.UUID) -> list[Row]:
    rows = session.execute(
        text(
            "SELECT turn, prompt, answer, status, classification, guardrail, created_at "
            "FROM interactions WHERE session_id = :s ORDER BY created_at LIMIT :n"
        ),
        {"s": session_id, "n": CONVERSATION_TURNS},
    ).mappings()
    return [{**dict(r), "created_at": r["created_at"].isoformat()} for r in rows]


def create(session: Session, *, user_id: int, session_id: uuid.UUID, request: Request) -> Row:
    """A new escalation of the student's conversation, waiting in its course's queue."""
    tutor_session = _one(
        session,
        "SELECT id, course_id FROM tutor_sessions WHERE id = :s AND user_id = :u",
        s=session_id,
        u=user_id,
    )
    if tutor_session is None:
        raise SessionNotFoundError(session_id)
    course_id = tutor_session["course_id"]
    if course_id is None:
        raise NoCourseError()
    if member_role(session, course_id=course_id, user_id=user_id) is None:
        raise SessionNotFoundError(session_id)  # left the course: nothing to ask there
    already = _one(
        session,
        "SELECT id FROM escalations WHERE session_id = :s AND status IN ('waiting', 'claimed')",
        s=session_id,
    )
    if already is not None:
        raise EscalationStateError(
            "you already asked a person in this conversation; withdraw that request first"
        )
    conversation = _conversation(session, session_id)
    last = _one(
        session,
        "SELECT id, classification FROM interactions WHERE session_id = :s "
        "ORDER BY created_at DESC LIMIT 1",
        s=session_id,
    )
    snapshot: dict[str, Any] = {
        "conversation": conversation if request.include_conversation else [],
        "failing_cell": _cell(request.cell),
        "notebook": request.notebook_path,
        "cells": bound_cells(request.cells or []),
    }
    row = _one(
        session,
        "INSERT INTO escalations (id, user_id, course_id, session_id, interaction_id, tutor_turns, "
        "classification, assignment_id, message, snapshot) VALUES (:id, :u, :c, :s, :i, :t, :k, "
        ":a, :m, CAST(:snap AS jsonb)) RETURNING *",
        id=uuid.uuid4(),
        u=user_id,
        c=course_id,
        s=session_id,
        i=last["id"] if last else None,
        t=len(conversation),
        k=last["classification"] if last else None,
        a=request.assignment_id,
        m=request.message,
        snap=_json(snapshot),
    )
    assert row is not None  # noqa: S101 - INSERT ... RETURNING returns the row
    return _with_replies(session, row)


def _cell(cell: dict[str, Any] | None) -> dict[str, Any] | None:
    if not cell:
        return None
    count = cell.get("execution_count")
    return {
        "source": trim(str(cell.get("source") or ""), MAX_SOURCE),
        "error": trim(str(cell.get("error") or ""), MAX_OUTPUT * 4),
        "execution_count": count if isinstance(count, int) else None,
    }


def _json(value: Any) -> str:
    return json.dumps(value)


def _with_replies(session: Session, row: Row) -> Row:
    replies = session.execute(
        text(
            "SELECT r.id, r.text, r.created_at, r.author_id, u.username AS author "
            "FROM escalation_replies r LEFT JOIN users u ON u.id = r.author_id "
            "WHERE r.escalation_id = :e ORDER BY r.created_at, r.id"
        ),
        {"e": row["id"]},
    ).mappings()
    row = {**row, "replies": [dict(r) for r in replies]}
    row["position"] = None
    if row["status"] == "waiting":
        ahead = session.execute(
            text(
                "SELECT count(*) FROM escalations WHERE course_id = :c AND status = 'waiting' "
                "AND (created_at, id) < (:t, :i)"
            ),
            {"c": row["course_id"], "t": row["created_at"], "i": row["id"]},
        ).scalar_one()
        row["position"] = int(ahead) + 1
    return row


def _get(session: Session, escalation_id: uuid.UUID) -> Row:
    row = _one(session, "SELECT * FROM escalations WHERE id = :e", e=escalation_id)
    if row is None:
        raise EscalationNotFoundError()
    return row


def is_staff(session: Session, caller: Caller, course_id: int) -> bool:
    return caller.admin or member_role(session, course_id=course_id, user_id=caller.id) in (
        STAFF_ROLES
    )


def _staff_row(session: Session, caller: Caller, escalation_id: uuid.UUID) -> Row:
    """The escalation if the caller is staff of its course; 403 for a member, else 404."""
    row = _get(session, escalation_id)
    if is_staff(session, caller, row["course_id"]):
        return row
    if member_role(session, course_id=row["course_id"], user_id=caller.id) is not None:
        raise NotEscalationStaffError()
    raise EscalationNotFoundError()


def read(session: Session, *, caller: Caller, escalation_id: uuid.UUID) -> Row:
    """The student's own escalation, or any of a course the caller is staff of."""
    row = _get(session, escalation_id)
    if row["user_id"] != caller.id and not is_staff(session, caller, row["course_id"]):
        raise EscalationNotFoundError()
    return _with_replies(session, row)


def withdraw(session: Session, *, user_id: int, escalation_id: uuid.UUID) -> Row:
    """The student takes their request back (until it is resolved)."""
    row = _get(session, escalation_id)
    if row["user_id"] != user_id:
        raise EscalationNotFoundError()
    updated = _one(
        session,
        "UPDATE escalations SET status = 'withdrawn', withdrawn_at = now() "
        f"WHERE id = :e AND status IN {OPEN_SQL} RETURNING *",
        e=escalation_id,
    )
    if updated is None:
        raise EscalationStateError(f"this request is already {row['status']}")
    return _with_replies(session, updated)


def claim(session: Session, *, caller: Caller, escalation_id: uuid.UUID) -> Row:
    """Take a waiting escalation: one conditional UPDATE, so only one claim succeeds."""
    row = _staff_row(session, caller, escalation_id)
    updated = _one(
        session,
        "UPDATE escalations SET status = 'claimed', claimed_by = :u, claimed_at = now() "
        "WHERE id = :e AND status = 'waiting' RETURNING *",
        u=caller.id,
        e=escalation_id,
    )
    if updated is None:
        who = "someone else" if row["claimed_by"] != caller.id else "you"
        state = "claimed by " + who if row["status"] in ("claimed", "answered") else row["status"]
        raise EscalationStateError(f"this request is not waiting: it is {state}")
    audit.record(
        session,
        actor_id=caller.id,
        action="escalation.claimed",
        course_id=row["course_id"],
        target_user_id=row["user_id"],
        details={"escalation_id": str(escalation_id)},
    )
    return _with_replies(session, updated)


def reply(session: Session, *, caller: Caller, escalation_id: uuid.UUID, body: str) -> Row:
    """A reply to a claimed escalation, by the one who claimed it (or an admin)."""
    row = _staff_row(session, caller, escalation_id)
    if row["status"] not in ("claimed", "answered"):
        raise EscalationStateError(
            f"this request is {row['status']}: claim it before replying"
            if row["status"] == "waiting"
            else f"this request is {row['status']}: it takes no more replies"
        )
    if row["claimed_by"] != caller.id and not caller.admin:
        raise EscalationStateError("another member of staff claimed this request")
    session.execute(
        text("INSERT INTO escalation_replies (escalation_id, author_id, text) VALUES (:e, :u, :t)"),
        {"e": escalation_id, "u": caller.id, "t": body},
    )
    updated = _one(
        session,
        "UPDATE escalations SET status = 'answered', "
        "first_reply_at = coalesce(first_reply_at, now()) WHERE id = :e RETURNING *",
        e=escalation_id,
    )
    assert updated is not None  # noqa: S101 - the row was read in this transaction
    audit.record(
        session,
        actor_id=caller.id,
        action="escalation.replied",
        course_id=row["course_id"],
        target_user_id=row["user_id"],
        details={"escalation_id": str(escalation_id), "characters": len(body)},
    )
    return _with_replies(session, updated)


def resolve(session: Session, *, caller: Caller, escalation_id: uuid.UUID) -> Row:
    """Close an escalation that staff took (claimed or answered)."""
    row = _staff_row(session, caller, escalation_id)
    updated = _one(
        session,
        "UPDATE escalations SET status = 'resolved', resolved_by = :u, resolved_at = now() "
        "WHERE id = :e AND status IN ('claimed', 'answered') RETURNING *",
        u=caller.id,
        e=escalation_id,
    )
    if updated is None:
        raise EscalationStateError(f"this request is {row['status']}: it cannot be resolved")
    audit.record(
        session,
        actor_id=caller.id,
        action="escalation.resolved",
        course_id=row["course_id"],
        target_user_id=row["user_id"],
        details={"escalation_id": str(escalation_id)},
    )
    return _with_replies(session, updated)


def list_course(session: Session, *, course_id: int, status: str | None) -> list[Row]:
    """A course's escalations, oldest first, with the student's name and the reply count."""
    where = "e.course_id = :c" + (" AND e.status = :st" if status else "")
    rows = session.execute(
        text(
            "SELECT e.id, e.user_id, u.username, e.status, e.message, e.classification, "
            "e.tutor_turns, e.created_at, e.claimed_by, cu.username AS claimed_by_name, "
            "e.claimed_at, e.first_reply_at, e.resolved_at, e.withdrawn_at, "
            "extract(epoch FROM coalesce(e.claimed_at, e.withdrawn_at, now()) - e.created_at) "
            "AS waiting_seconds, "
            "(SELECT count(*) FROM escalation_replies r WHERE r.escalation_id = e.id) AS replies "
            "FROM escalations e JOIN users u ON u.id = e.user_id "
            "LEFT JOIN users cu ON cu.id = e.claimed_by "
            f"WHERE {where} ORDER BY e.created_at, e.id LIMIT 500"
        ),
        {"c": course_id, "st": status},
    ).mappings()
    return [dict(r) for r in rows]


def waiting_by_course(session: Session) -> list[Row]:
    """For the gauges: per course, the waiting requests, the oldest one's age, the alert."""
    rows = session.execute(
        text(
            "SELECT c.id AS course_id, count(e.id) AS waiting, "
            "coalesce(max(extract(epoch FROM now() - e.created_at)), 0) AS oldest_seconds, "
            "coalesce((c.tutor_policy->>'escalation_alert_minutes')::int, :d) * 60 "
            "AS alert_seconds FROM courses c LEFT JOIN escalations e "
            "ON e.course_id = c.id AND e.status = 'waiting' GROUP BY c.id"
        ),
        {"d": DEFAULT_ALERT_MINUTES},
    ).mappings()
    return [dict(r) for r in rows]
