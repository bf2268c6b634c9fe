"""Loaders: the research trace as typed pandas DataFrames, fetched in bulk.

Each loader takes a ``TraceFilter`` as ``where=`` (``analytics.trace_filter``: courses,
a time window, students...), renders one SELECT (values bound by psycopg2, never
string-formatted) and hands it to ``analytics.pgcopy.copy_frame``: COPY TO STDOUT as CSV,
parsed by pyarrow into declared dtypes (tz-aware UTC timestamps, categoricals, nullable
integers and booleans), large results split over a few connections on one snapshot.

Only what was recorded while the student's research consent was in force is loaded
(``ainative.course.consent``: the rule and its dates), in SQL, so other rows never reach the
analyst's process; ``TraceFilter(include_non_consenting=True)`` is for audits only.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa

from ainative.course.consent import in_force_clause
from ainative.course.event_types import COURSE_DEADLINE
from ainative.db.models import CLASSIFICATIONS, COURSE_ROLES, GUARDRAIL_OUTCOMES, STATUSES
from ainative.notebook.capture import TUTOR_CELL_SQL_PATTERN
from ainative.tutor.modes import MODE_NAMES
from analytics.pgcopy import (
    CAT,
    TS,
    Column,
    Source,
    copy_frame,
    parse_csv,
    raw_connection,
)
from analytics.trace_filter import TraceFilter

LEAK_DECISIONS = ("passed", "rewritten", "refused")  # ainative.tutor.guardrails._leak_check

__all__ = [
    "Column",
    "Source",
    "TraceFilter",
    "copy_frame",
    "load_deadlines",
    "load_assignments",
    "load_enrolments",
    "load_events",
    "load_experiments",
    "load_interactions",
    "load_sessions",
    "parse_csv",
    "raw_connection",
]
UUID_PARTITION = "get_byte(uuid_send(x.id), 15)"


def _c(
    name: str,
    sql: str | None,
    type_: pa.DataType,
    cats: tuple[str, ...] | None = None,
    wire: str | None = None,
) -> Column:
    return Column(name, sql or f"x.{name}", type_, cats, wire)


_RATED_IN_FORCE = f"(x.rated_at IS NULL OR {in_force_clause('x', 'rated_at')})"
INTERACTION_COLUMNS = (
    _c("id", "x.id::text", pa.string(), wire="x.id"),
    _c("user_id", None, pa.int64()),
    _c("session_id", "x.session_id::text", pa.string(), wire="x.session_id"),
    _c("course_id", None, pa.int64()),
    _c("turn", None, pa.int16()),
    _c("notebook_path", None, pa.string()),
    _c("cell_id", None, pa.string()),
    _c("mode", None, CAT, MODE_NAMES),
    _c("status", None, CAT, STATUSES),
    _c("classification", None, CAT, CLASSIFICATIONS),
    _c("guardrail", None, CAT, GUARDRAIL_OUTCOMES),
    _c("cache_hit", None, pa.bool_()),
    _c("attempts", None, pa.int16()),
    _c("provider", None, CAT),
    _c("model", None, CAT),
    _c("prompt_version", None, CAT),
    _c("policy_version", None, pa.int32()),
    _c("experiment_id", None, pa.int32()),
    _c("arm_id", None, pa.int32()),
    _c("prompt_tokens", None, pa.int32()),
    _c("completion_tokens", None, pa.int32()),
    _c("queue_ms", None, pa.int32()),
    _c("llm_ms", None, pa.int32()),
    _c("total_ms", None, pa.int32()),
    # a rating is research data when consent was in force when it was given (rated_at)
    _c("helpful", f"CASE WHEN {_RATED_IN_FORCE} THEN x.helpful END", pa.bool_()),
    _c("score", f"CASE WHEN {_RATED_IN_FORCE} THEN x.score END", pa.int16()),
    _c("has_error", "(x.error IS NOT NULL)", pa.bool_()),
    _c("answer_has_code", "(strpos(x.answer, '```') > 0)", pa.bool_()),
    _c("created_at", None, TS),
    _c("started_at", None, TS),
    _c("completed_at", None, TS),
    _c("rated_at", f"CASE WHEN {_RATED_IN_FORCE} THEN x.rated_at END", TS),
    # the assignment the question was tied to and its answer's leak check (migration 0015)
    _c("assignment_id", None, pa.int32()),
    _c("leak_score", None, pa.float64()),
    _c("leaked", "(x.leak->>'leak')::boolean", pa.bool_()),
    _c("leak_decision", "x.leak->>'decision'", CAT, LEAK_DECISIONS),
    _c("passed_hidden_tests", "(x.leak->'parts'->'tests'->>'passed')::boolean", pa.bool_()),
)
# Audits (include_non_consenting) read every rating as stored.
_RAW_RATINGS = {name: _c(name, None, t) for name, t in (
    ("helpful", pa.bool_()), ("score", pa.int16()), ("rated_at", TS))}  # fmt: skip
INTERACTION_TEXT_COLUMNS = (
    _c("prompt", None, pa.string()),
    _c("answer", None, pa.string()),
    _c("context", "x.context::text", pa.string()),
    _c("error", None, pa.string()),
    # The LLM's side (migration 0012); `messages` stays in the database (read it with SQL).
    _c("raw_answer", None, pa.string()),
    _c("messages_sha256", None, pa.string()),
    _c("decoding", "x.decoding::text", pa.string()),
    _c("response_id", None, pa.string()),
    _c("system_fingerprint", None, pa.string()),
    _c("model_returned", None, pa.string()),
)
# The tutor's own cells: flagged by the recorder, or (older rows) by their first line.
TUTOR_CELL_SQL = (
    "coalesce((x.payload->>'tutor_cell')::boolean, "
    f"coalesce(x.payload->>'code', '') ~ '{TUTOR_CELL_SQL_PATTERN.replace('%', '%%')}')"
)  # %% : the SELECT is rendered with psycopg2's %(name)s parameters
EVENT_COLUMNS = (
    _c("id", None, pa.int64()),
    _c("event_type", None, CAT),
    _c("user_id", None, pa.int64()),
    _c("session_id", "x.session_id::text", pa.string()),
    _c("course_id", None, pa.int64()),
    _c("interaction_id", "x.interaction_id::text", pa.string()),
    _c("notebook_path", None, pa.string()),
    _c("cell_id", None, pa.string()),
    _c("occurred_at", None, TS),
    _c("created_at", None, TS),
    _c("success", "(x.payload->>'success')::boolean", pa.bool_()),
    _c("error_type", "x.payload->>'error_type'", CAT),
    _c("execution_count", "(x.payload->>'execution_count')::int", pa.int32()),
    _c("error_line", "(x.payload->>'error_line')::int", pa.int32()),
    _c("tutor_cell", TUTOR_CELL_SQL, pa.bool_()),
)
EVENT_TEXT_COLUMNS = (
    _c("code", "x.payload->>'code'", pa.string()),
    _c("error_message", "x.payload->>'error_message'", pa.string()),
    _c("error_first_line", "x.payload->>'error_first_line'", pa.string()),
    _c("payload", "x.payload::text", pa.string()),
)
SESSION_COLUMNS = (
    _c("id", "x.id::text", pa.string()),
    _c("user_id", None, pa.int64()),
    _c("course_id", None, pa.int64()),
    _c("client", None, CAT),
    _c("started_at", None, TS),
    _c("ended_at", None, TS),
)
ENROLMENT_COLUMNS = (
    _c("course_id", None, pa.int64()),
    _c("course_code", "c.code", CAT),
    _c("user_id", None, pa.int64()),
    _c("role", None, CAT, COURSE_ROLES),
    _c("research_consent", "u.research_consent", pa.bool_()),
    _c("created_at", None, TS),
)


def select_sql(columns: Sequence[Column], table: str, joins: str = "", wire: bool = False) -> str:
    """The SELECT list of `columns` from `table` aliased as x (`wire`: their wire forms)."""
    select_list = ", ".join(f"{(wire and c.wire) or c.sql} AS {c.name}" for c in columns)
    return f"SELECT {select_list} FROM {table} x {joins}"


def _load(
    columns: Sequence[Column],
    table: str,
    time_column: str,
    source: Source,
    where: TraceFilter,
    multiline: bool = False,
    *,
    partition: str = UUID_PARTITION,
    recorded_column: str | None = None,
) -> pd.DataFrame:
    """Filter, select and COPY one trace table, ordered by `time_column`."""
    joins, clause, params = where.clauses(time_column=time_column, recorded_column=recorded_column)
    sql = f"{select_sql(columns, table, joins)} WHERE {clause}"
    wire_sql = f"{select_sql(columns, table, joins, wire=True)} WHERE {clause}"
    return copy_frame(
        sql,
        params,
        columns,
        source,
        multiline=multiline,
        order_by=[time_column],
        partition=partition,
        wire_sql=wire_sql,
    )


_STUDENT_ROWS = ("courses", "since", "until", "user_ids", "include_non_consenting")


def load_interactions(
    source: Source = None, *, where: TraceFilter | None = None, include_text: bool = False
) -> pd.DataFrame:
    """Tutoring interactions (one row per request), ordered by created_at.

    `where` may set courses, since <= created_at < until, user_ids and
    include_non_consenting (audits only: students without research consent).
    helpful, score and rated_at are empty for a rating given while consent was not in
    force (the row itself is judged at created_at, its rating at rated_at).
    `include_text` adds prompt, answer, context (JSON text) and error, and the LLM's side:
    raw_answer (before the guardrail), messages_sha256, decoding (JSON text), response_id,
    system_fingerprint and model_returned.
    """
    where = where or TraceFilter()
    where.refuse_except("load_interactions", _STUDENT_ROWS)
    columns = INTERACTION_COLUMNS + (INTERACTION_TEXT_COLUMNS if include_text else ())
    if where.include_non_consenting:
        columns = tuple(_RAW_RATINGS.get(c.name, c) for c in columns)
    return _load(columns, "interactions", "created_at", source, where, include_text)


def load_events(
    source: Source = None, *, where: TraceFilter | None = None, include_text: bool = False
) -> pd.DataFrame:
    """Research events, ordered by occurred_at, with cell-run fields lifted out of the payload.

    `where` may set what `load_interactions` takes (the window on occurred_at) and
    event_types. `success`, `error_type`, `execution_count`, `error_line` (the error's
    line in the cell, when recorded) and `tutor_cell` (the tutor's own cell, which every
    measure leaves out) come from cell.executed payloads; `include_text` adds the cell's
    code, the error message, its first line and the raw payload (JSON text).
    """
    where = where or TraceFilter()
    where.refuse_except("load_events", (*_STUDENT_ROWS, "event_types"))
    columns = EVENT_COLUMNS + (EVENT_TEXT_COLUMNS if include_text else ())
    return _load(
        columns,
        "events",
        "occurred_at",
        source,
        where,
        include_text,
        partition="x.id",
        recorded_column="created_at",  # the server's receive time, not the kernel's clock
    )


def load_sessions(source: Source = None, *, where: TraceFilter | None = None) -> pd.DataFrame:
    """Tutor sessions (a stretch of one student's work), ordered by started_at.

    `where` may set what `load_interactions` takes (the window on started_at).
    """
    where = where or TraceFilter()
    where.refuse_except("load_sessions", _STUDENT_ROWS)
    return _load(SESSION_COLUMNS, "tutor_sessions", "started_at", source, where)


def load_enrolments(
    source: Source = None, *, where: TraceFilter | None = None, role: str | None = "student"
) -> pd.DataFrame:
    """Course memberships (students by default): the denominator of reach.

    `where` may set courses and include_non_consenting; without it a member is counted
    when their consent was in force at some moment since they joined (the dated rule:
    a student who withdrew is still the denominator of what they did while taking part;
    one who never consented is not).
    """
    where = where or TraceFilter()
    where.refuse_except("load_enrolments", ("courses", "include_non_consenting"))
    joins, clause, params = where.clauses(consent=False)
    if not where.include_non_consenting:  # the denominator: who took part while a member
        clause += (
            " AND EXISTS (SELECT 1 FROM consent_periods p WHERE p.user_id = x.user_id"
            " AND p.given AND p.until > x.created_at)"
        )
    joins += " JOIN courses c ON c.id = x.course_id"
    if role is not None:
        params["role"] = role
        clause += " AND x.role = %(role)s"
    sql = f"{select_sql(ENROLMENT_COLUMNS, 'memberships', joins)} WHERE {clause}"
    return copy_frame(sql, params, ENROLMENT_COLUMNS, source, order_by=["course_id", "user_id"])


DEADLINE_COLUMNS = (
    _c("course_id", None, pa.int64()),
    _c("deadline", "x.occurred_at", TS),
    _c("title", "x.payload->>'title'", pa.string()),
)


def load_deadlines(source: Source = None, *, where: TraceFilter | None = None) -> pd.DataFrame:
    """Course deadlines (``course.deadline`` events, course-level: no student data).

    `where` may set courses.
    """
    where = where or TraceFilter()
    where.refuse_except("load_deadlines", ("courses",))
    _, clause, params = where.clauses(consent=False)
    params["deadline"] = COURSE_DEADLINE
    clause = f"x.event_type = %(deadline)s AND x.user_id IS NULL AND {clause}"
    sql = f"{select_sql(DEADLINE_COLUMNS, 'events')} WHERE {clause}"
    return copy_frame(sql, params, DEADLINE_COLUMNS, source, order_by=["deadline"])


EXPERIMENT_COLUMNS = (
    _c("experiment_id", "e.id", pa.int32()),
    _c("experiment", "e.name", CAT),
    _c("course_id", None, pa.int64()),
    _c("description", "e.description", pa.string()),
    _c("started_at", "e.created_at", TS),
    _c("ended_at", "e.ended_at", TS),
    _c("arm_id", "x.id", pa.int32()),
    _c("arm", "x.name", CAT),
    _c("policy", "x.policy::text", pa.string()),
    _c(
        "assigned",  # the allocation log keeps deleted accounts' assignments as counts
        "GREATEST((SELECT count(*) FROM experiment_assignments s WHERE s.arm_id = x.id), "
        "(SELECT count(*) FROM experiment_allocations l "
        "WHERE l.experiment_id = x.experiment_id AND l.arm = x.name))",
        pa.int64(),
    ),
    _c("preregistration", "e.preregistration::text", pa.string()),  # JSON, frozen at start
)
ASSIGNMENT_COLUMNS = (
    _c("experiment_id", None, pa.int32()),
    _c("experiment", "e.name", CAT),
    _c("course_id", None, pa.int64()),
    _c("arm_id", None, pa.int32()),
    _c("arm", "a.name", CAT),
    _c("user_id", None, pa.int64()),
    _c("assigned_at", None, TS),
    # the allocation log's row of this assignment (same transaction, same now())
    _c("seq", "l.seq", pa.int32()),
    _c("block", "l.block", pa.int32()),
)
# Arms and assignments with their experiment's course, so the shared course filter applies.
_ARMS = (
    "(SELECT a.*, e.course_id FROM experiment_arms a JOIN experiments e ON e.id = a.experiment_id)"
)
_ASSIGNMENTS = (
    "(SELECT s.*, e.course_id FROM experiment_assignments s "
    "JOIN experiments e ON e.id = s.experiment_id)"
)


def load_experiments(source: Source = None, *, where: TraceFilter | None = None) -> pd.DataFrame:
    """Experiments and their arms, one row per arm (course-level: no student rows).

    `where` may set courses. ``policy`` is the arm's policy as JSON text (laid over the
    course's policy); ``assigned`` counts every student assigned to the arm, consenting or
    not (a count, never who), so an analysis can see what consent filtering removed from
    each arm.
    """
    where = where or TraceFilter()
    where.refuse_except("load_experiments", ("courses",))
    _, clause, params = where.clauses(consent=False)
    joins = "JOIN experiments e ON e.id = x.experiment_id"
    sql = f"{select_sql(EXPERIMENT_COLUMNS, _ARMS, joins)} WHERE {clause}"
    return copy_frame(sql, params, EXPERIMENT_COLUMNS, source, order_by=["experiment_id", "arm_id"])


def load_assignments(source: Source = None, *, where: TraceFilter | None = None) -> pd.DataFrame:
    """Each student's arm in each experiment, with when it was assigned and its block.

    `where` may set courses, experiments, user_ids and include_non_consenting. A student's
    assignment is research data when their consent was in force at some moment between
    the assignment and the experiment's end (a student who consents after their first
    question is not dropped; each of their rows is still judged when it was recorded).
    ``seq`` and ``block`` are the assignment's place in the allocation log (NULL for
    assignments the log does not hold).
    """
    where = where or TraceFilter()
    allowed = ("courses", "experiments", "user_ids", "include_non_consenting")
    where.refuse_except("load_assignments", allowed)
    joins, clause, params = where.clauses(consent=False)
    joins += (
        " JOIN experiments e ON e.id = x.experiment_id JOIN experiment_arms a ON a.id = x.arm_id"
        " LEFT JOIN LATERAL (SELECT l.seq, l.block FROM experiment_allocations l"
        " WHERE l.experiment_id = x.experiment_id AND l.assigned_at = x.assigned_at"
        " AND l.arm = a.name ORDER BY l.seq LIMIT 1) l ON TRUE"
    )
    if not where.include_non_consenting:
        clause += (
            " AND EXISTS (SELECT 1 FROM consent_periods p WHERE p.user_id = x.user_id"
            " AND p.given AND p.until > x.assigned_at"
            " AND p.since < COALESCE(e.ended_at, 'infinity'::timestamptz))"
        )
    sql = f"{select_sql(ASSIGNMENT_COLUMNS, _ASSIGNMENTS, joins)} WHERE {clause}"
    return copy_frame(
        sql, params, ASSIGNMENT_COLUMNS, source, order_by=["experiment_id", "assigned_at"]
    )
