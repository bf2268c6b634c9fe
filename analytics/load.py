"""Loaders: the research trace as typed pandas DataFrames, fetched in bulk.

Each loader renders one SELECT (filters bound by psycopg2, never string-formatted) and
hands it to ``analytics.pgcopy.copy_frame``: COPY TO STDOUT as CSV, parsed by pyarrow
into declared dtypes (tz-aware UTC timestamps, categoricals, nullable integers and
booleans), large results split over a few connections on one snapshot.

Only what was recorded while the student's research consent was in force is loaded
(``ainative.course.consent``: the rule and its dates), in SQL, so other rows never reach the
analyst's process; ``include_non_consenting=True`` is for audits only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from ainative.course.consent import in_force_clause
from ainative.course.event_types import COURSE_DEADLINE
from ainative.db.models import CLASSIFICATIONS, COURSE_ROLES, GUARDRAIL_OUTCOMES, STATUSES
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

__all__ = [
    "Column",
    "Source",
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
    _c("helpful", None, pa.bool_()),
    _c("score", None, pa.int16()),
    _c("has_error", "(x.error IS NOT NULL)", pa.bool_()),
    _c("answer_has_code", "(strpos(x.answer, '```') > 0)", pa.bool_()),
    _c("created_at", None, TS),
    _c("started_at", None, TS),
    _c("completed_at", None, TS),
    _c("rated_at", None, TS),
)
INTERACTION_TEXT_COLUMNS = (
    _c("prompt", None, pa.string()),
    _c("answer", None, pa.string()),
    _c("context", "x.context::text", pa.string()),
    _c("error", None, pa.string()),
)
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
)
EVENT_TEXT_COLUMNS = (
    _c("code", "x.payload->>'code'", pa.string()),
    _c("error_message", "x.payload->>'error_message'", pa.string()),
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


def _filters(
    *,
    time_column: str,
    courses: Iterable[int | str] | int | str | None,
    since: datetime | date | str | None,
    until: datetime | date | str | None,
    user_ids: Iterable[int] | None,
    include_non_consenting: bool,
    recorded_column: str | None = None,
) -> tuple[str, str, dict[str, Any]]:
    """JOIN and WHERE clauses shared by the loaders, with their bound parameters.

    Consent is judged at `recorded_column` (default `time_column`): when the server
    recorded the row, never a client's clock.
    """
    where = ["TRUE"]
    params: dict[str, Any] = {}
    joins = "JOIN users u ON u.id = x.user_id"
    if not include_non_consenting:
        where.append(in_force_clause("x", recorded_column or time_column))
    if courses is not None:
        if isinstance(courses, int | str):
            courses = [courses]
        courses = list(courses)
        params["course_ids"] = [int(c) for c in courses if isinstance(c, int)]
        params["course_codes"] = [str(c) for c in courses if isinstance(c, str)]
        where.append(
            "x.course_id IN (SELECT id FROM courses WHERE id = ANY(%(course_ids)s::int[])"
            " OR code = ANY(%(course_codes)s::text[]))"
        )
    if since is not None:
        params["since"] = pd.Timestamp(since).tz_localize("UTC") if _naive(since) else since
        where.append(f"x.{time_column} >= %(since)s")
    if until is not None:
        params["until"] = pd.Timestamp(until).tz_localize("UTC") if _naive(until) else until
        where.append(f"x.{time_column} < %(until)s")
    if user_ids is not None:
        params["user_ids"] = [int(u) for u in user_ids]
        where.append("x.user_id = ANY(%(user_ids)s::int[])")
    return joins, " AND ".join(where), params


def _naive(value: datetime | date | str) -> bool:
    return pd.Timestamp(value).tzinfo is None


def _load(
    columns: Sequence[Column],
    table: str,
    time_column: str,
    source: Source,
    multiline: bool = False,
    *,
    partition: str = UUID_PARTITION,
    extra_where: str = "",
    extra_params: dict[str, Any] | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Filter, select and COPY one trace table, ordered by `time_column`."""
    joins, where, params = _filters(time_column=time_column, **filters)
    where += extra_where
    params.update(extra_params or {})
    sql = f"{select_sql(columns, table, joins)} WHERE {where}"
    wire_sql = f"{select_sql(columns, table, joins, wire=True)} WHERE {where}"
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


def load_interactions(
    source: Source = None,
    *,
    courses: Iterable[int | str] | int | str | None = None,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    user_ids: Iterable[int] | None = None,
    include_text: bool = False,
    include_non_consenting: bool = False,
) -> pd.DataFrame:
    """Tutoring interactions (one row per request), ordered by created_at.

    Filters: `courses` (ids or codes), `since` <= created_at < `until` (naive values are
    UTC), `user_ids`. `include_text` adds prompt, answer, context (JSON text) and error.
    `include_non_consenting` is for audits: it loads students without research consent.
    """
    columns = INTERACTION_COLUMNS + (INTERACTION_TEXT_COLUMNS if include_text else ())
    return _load(
        columns,
        "interactions",
        "created_at",
        source,
        include_text,
        courses=courses,
        since=since,
        until=until,
        user_ids=user_ids,
        include_non_consenting=include_non_consenting,
    )


def load_events(
    source: Source = None,
    *,
    event_types: Iterable[str] | None = None,
    courses: Iterable[int | str] | int | str | None = None,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    user_ids: Iterable[int] | None = None,
    include_text: bool = False,
    include_non_consenting: bool = False,
) -> pd.DataFrame:
    """Research events, ordered by occurred_at, with cell-run fields lifted out of the payload.

    `success`, `error_type` and `execution_count` come from cell.executed payloads;
    `include_text` adds the cell's code, the error message and the raw payload (JSON text).
    """
    columns = EVENT_COLUMNS + (EVENT_TEXT_COLUMNS if include_text else ())
    by_type = event_types is not None
    return _load(
        columns,
        "events",
        "occurred_at",
        source,
        include_text,
        partition="x.id",
        extra_where=" AND x.event_type = ANY(%(event_types)s::text[])" if by_type else "",
        extra_params={"event_types": list(event_types)} if by_type else None,
        recorded_column="created_at",  # the server's receive time, not the kernel's clock
        courses=courses,
        since=since,
        until=until,
        user_ids=user_ids,
        include_non_consenting=include_non_consenting,
    )


def load_sessions(
    source: Source = None,
    *,
    courses: Iterable[int | str] | int | str | None = None,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    user_ids: Iterable[int] | None = None,
    include_non_consenting: bool = False,
) -> pd.DataFrame:
    """Tutor sessions (a stretch of one student's work), ordered by started_at."""
    return _load(
        SESSION_COLUMNS,
        "tutor_sessions",
        "started_at",
        source,
        courses=courses,
        since=since,
        until=until,
        user_ids=user_ids,
        include_non_consenting=include_non_consenting,
    )


def load_enrolments(
    source: Source = None,
    *,
    courses: Iterable[int | str] | int | str | None = None,
    role: str | None = "student",
    include_non_consenting: bool = False,
) -> pd.DataFrame:
    """Course memberships (students by default): the denominator of reach."""
    joins, where, params = _filters(
        time_column="created_at",
        courses=courses,
        since=None,
        until=None,
        user_ids=None,
        include_non_consenting=True,
    )
    if not include_non_consenting:  # the denominator: who takes part now
        where += " AND u.research_consent"
    joins += " JOIN courses c ON c.id = x.course_id"
    if role is not None:
        params["role"] = role
        where += " AND x.role = %(role)s"
    sql = f"{select_sql(ENROLMENT_COLUMNS, 'memberships', joins)} WHERE {where}"
    return copy_frame(sql, params, ENROLMENT_COLUMNS, source, order_by=["course_id", "user_id"])


DEADLINE_COLUMNS = (
    _c("course_id", None, pa.int64()),
    _c("deadline", "x.occurred_at", TS),
    _c("title", "x.payload->>'title'", pa.string()),
)


def _course_filter(courses: Iterable[int | str] | int | str | None) -> tuple[str, dict[str, Any]]:
    """The course clause alone, for course-level tables (no student rows, no consent rule)."""
    if courses is None:
        return "TRUE", {}
    _, where, params = _filters(
        time_column="created_at",
        courses=courses,
        since=None,
        until=None,
        user_ids=None,
        include_non_consenting=True,
    )
    return where, params


def load_deadlines(
    source: Source = None, *, courses: Iterable[int | str] | int | str | None = None
) -> pd.DataFrame:
    """Course deadlines (``course.deadline`` events, course-level: no student data)."""
    clause, params = _course_filter(courses)
    params["deadline"] = COURSE_DEADLINE
    where = f"x.event_type = %(deadline)s AND x.user_id IS NULL AND {clause}"
    sql = f"{select_sql(DEADLINE_COLUMNS, 'events')} WHERE {where}"
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
        "assigned",
        "(SELECT count(*) FROM experiment_assignments s WHERE s.arm_id = x.id)",
        pa.int64(),
    ),
)
ASSIGNMENT_COLUMNS = (
    _c("experiment_id", None, pa.int32()),
    _c("experiment", "e.name", CAT),
    _c("course_id", None, pa.int64()),
    _c("arm_id", None, pa.int32()),
    _c("arm", "a.name", CAT),
    _c("user_id", None, pa.int64()),
    _c("assigned_at", None, TS),
)
# Arms and assignments with their experiment's course, so the shared course filter applies.
_ARMS = (
    "(SELECT a.*, e.course_id FROM experiment_arms a JOIN experiments e ON e.id = a.experiment_id)"
)
_ASSIGNMENTS = (
    "(SELECT s.*, e.course_id FROM experiment_assignments s "
    "JOIN experiments e ON e.id = s.experiment_id)"
)


def load_experiments(
    source: Source = None, *, courses: Iterable[int | str] | int | str | None = None
) -> pd.DataFrame:
    """Experiments and their arms, one row per arm (course-level: no student rows).

    ``policy`` is the arm's policy as JSON text (laid over the course's policy);
    ``assigned`` counts every student assigned to the arm, consenting or not (a count,
    never who), so an analysis can see what consent filtering removed from each arm.
    """
    where, params = _course_filter(courses)
    joins = "JOIN experiments e ON e.id = x.experiment_id"
    sql = f"{select_sql(EXPERIMENT_COLUMNS, _ARMS, joins)} WHERE {where}"
    return copy_frame(sql, params, EXPERIMENT_COLUMNS, source, order_by=["experiment_id", "arm_id"])


def load_assignments(
    source: Source = None,
    *,
    courses: Iterable[int | str] | int | str | None = None,
    experiments: Iterable[int] | None = None,
    user_ids: Iterable[int] | None = None,
    include_non_consenting: bool = False,
) -> pd.DataFrame:
    """Each student's arm in each experiment, with when it was assigned.

    The consent rule of every loader applies at ``assigned_at``: a student's assignment
    is research data only when consent was in force when it was made (their later
    interactions still carry ``arm_id`` themselves).
    """
    joins, where, params = _filters(
        time_column="assigned_at",
        courses=courses,
        since=None,
        until=None,
        user_ids=user_ids,
        include_non_consenting=include_non_consenting,
    )
    joins += (
        " JOIN experiments e ON e.id = x.experiment_id JOIN experiment_arms a ON a.id = x.arm_id"
    )
    if experiments is not None:
        params["experiment_ids"] = [int(e) for e in experiments]
        where += " AND x.experiment_id = ANY(%(experiment_ids)s::int[])"
    sql = f"{select_sql(ASSIGNMENT_COLUMNS, _ASSIGNMENTS, joins)} WHERE {where}"
    return copy_frame(
        sql, params, ASSIGNMENT_COLUMNS, source, order_by=["experiment_id", "assigned_at"]
    )
