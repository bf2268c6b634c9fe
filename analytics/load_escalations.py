"""Loaders of the hand-offs to a person (issue 23): escalations and the staff's replies.

The same rules as ``analytics.load``: one SELECT through COPY into declared dtypes, and
only what was recorded while the student's research consent was in force. An escalation
is judged when the student created it (``created_at``), and a reply with its escalation,
so a conversation handed over with consent comes with every reply to it. People are the
platform's user ids, as in the other loaders (the ProgSnap2 export pseudonymises them);
staff are their user id and their role in the course, never a name or an e-mail. The
snapshot (the student's notebook) and the texts stay in the database.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from ainative.db.models import CLASSIFICATIONS, COURSE_ROLES, ESCALATION_STATUSES
from analytics.load import UUID_PARTITION, Source, _c, _load
from analytics.pgcopy import CAT, TS
from analytics.trace_filter import TraceFilter

__all__ = ["ESCALATION_COLUMNS", "REPLY_COLUMNS", "load_escalations", "load_replies"]

STAFF_ROLES = (*COURSE_ROLES, "admin")
_STUDENT_ROWS = ("courses", "since", "until", "user_ids", "include_non_consenting")


def _role(staff: str) -> str:
    """SQL: the course role of the staff member `staff` (admin when an admin outside it)."""
    return (
        "COALESCE((SELECT m.role FROM memberships m WHERE m.course_id = x.course_id "
        f"AND m.user_id = {staff}), (SELECT 'admin' FROM users su WHERE su.id = {staff} "
        "AND 'admin' = ANY(su.roles)))"
    )


def _seconds(later: str) -> str:
    return f"extract(epoch FROM ({later} - x.created_at))::float8"


# The tutor turns of the session before the hand-off, counted (the stored count stops at
# the snapshot's 50 turns; it stands in when the session was deleted).
_TURNS = (
    "CASE WHEN x.session_id IS NULL THEN x.tutor_turns ELSE (SELECT count(*) FROM "
    "interactions i WHERE i.session_id = x.session_id AND i.created_at <= x.created_at) END"
)
ESCALATION_COLUMNS = (
    _c("id", "x.id::text", pa.string(), wire="x.id"),
    _c("course_id", None, pa.int64()),
    _c("user_id", None, pa.int64()),
    _c("session_id", "x.session_id::text", pa.string(), wire="x.session_id"),
    _c("assignment_id", None, pa.int32()),
    # the arm of the tutor turn handed over (NULL outside experiments)
    _c(
        "experiment_id",
        "(SELECT i.experiment_id FROM interactions i WHERE i.id = x.interaction_id)",
        pa.int32(),
    ),
    _c("arm_id", "(SELECT i.arm_id FROM interactions i WHERE i.id = x.interaction_id)", pa.int32()),
    _c("status", None, CAT, ESCALATION_STATUSES),
    _c("classification", None, CAT, CLASSIFICATIONS),
    _c("tutor_turns", _TURNS, pa.int32()),
    _c(
        "replies",
        "(SELECT count(*) FROM escalation_replies r WHERE r.escalation_id = x.id)",
        pa.int32(),
    ),
    _c("created_at", None, TS),
    _c("claimed_at", None, TS),
    _c("first_reply_at", None, TS),
    _c("resolved_at", None, TS),
    _c("withdrawn_at", None, TS),
    _c("claimed_by", None, pa.int64()),
    _c("claimed_by_role", _role("x.claimed_by"), CAT, STAFF_ROLES),
    _c("resolved_by", None, pa.int64()),
    _c("resolved_by_role", _role("x.resolved_by"), CAT, STAFF_ROLES),
    _c("waiting_s", _seconds("x.claimed_at"), pa.float64()),
    _c("first_reply_s", _seconds("x.first_reply_at"), pa.float64()),
)
ESCALATION_TEXT_COLUMNS = (_c("message", None, pa.string()),)
# Replies with their escalation's student, course and creation time (consent is judged there).
_REPLIES = (
    "(SELECT r.id, r.escalation_id, r.author_id, r.created_at, r.text, e.user_id, e.course_id, "
    "e.created_at AS escalated_at FROM escalation_replies r "
    "JOIN escalations e ON e.id = r.escalation_id)"
)
REPLY_COLUMNS = (
    _c("id", None, pa.int64()),
    _c("escalation_id", "x.escalation_id::text", pa.string(), wire="x.escalation_id"),
    _c("course_id", None, pa.int64()),
    _c("user_id", None, pa.int64()),
    _c("author_id", None, pa.int64()),
    _c("author_role", _role("x.author_id"), CAT, STAFF_ROLES),
    _c("created_at", None, TS),
    _c(
        "since_escalation_s",
        "extract(epoch FROM (x.created_at - x.escalated_at))::float8",
        pa.float64(),
    ),
)
REPLY_TEXT_COLUMNS = (_c("text", None, pa.string()),)


def load_escalations(
    source: Source = None, *, where: TraceFilter | None = None, include_text: bool = False
) -> pd.DataFrame:
    """Escalations (a student asked a person), one row each, ordered by created_at.

    `where` may set courses, since <= created_at < until, user_ids (students) and
    include_non_consenting (audits only).

    Returns
    -------
    DataFrame
        id, course_id, user_id (the student), session_id, assignment_id, experiment_id and
        arm_id (of the tutor turn handed over), status, classification (the tutor's, of that
        turn), tutor_turns (the session's tutor turns up to the hand-off), replies (count),
        created_at, claimed_at, first_reply_at, resolved_at, withdrawn_at, claimed_by and
        resolved_by (staff user ids) with their course roles, waiting_s (created to claimed)
        and first_reply_s (created to the first staff reply); NA where it did not happen.
        `include_text` adds message (the line the student wrote).
    """
    where = where or TraceFilter()
    where.refuse_except("load_escalations", _STUDENT_ROWS)
    columns = ESCALATION_COLUMNS + (ESCALATION_TEXT_COLUMNS if include_text else ())
    return _load(
        columns, "escalations", "created_at", source, where, include_text, partition=UUID_PARTITION
    )


def load_replies(
    source: Source = None, *, where: TraceFilter | None = None, include_text: bool = False
) -> pd.DataFrame:
    """Staff replies to escalations, ordered by created_at (the reply's time).

    `where` as for `load_escalations`; since/until bound the reply's time, consent is
    judged when the escalation was created, and user_ids are the students.

    Returns
    -------
    DataFrame
        id, escalation_id, course_id, user_id (the student), author_id (staff user id, NA
        when the account was deleted), author_role, created_at, since_escalation_s;
        `include_text` adds text (the reply's Markdown).
    """
    where = where or TraceFilter()
    where.refuse_except("load_replies", _STUDENT_ROWS)
    columns = REPLY_COLUMNS + (REPLY_TEXT_COLUMNS if include_text else ())
    return _load(
        columns,
        _REPLIES,
        "created_at",
        source,
        where,
        include_text,
        partition="x.id",
        recorded_column="escalated_at",
    )
