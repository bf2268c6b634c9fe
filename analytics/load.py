"""Loaders: the research trace as typed pandas DataFrames, fetched in bulk.

Each loader renders one SELECT (filters bound by psycopg2, never string-formatted),
streams it with ``COPY (...) TO STDOUT WITH CSV`` into memory and parses it with
pyarrow's multi-threaded CSV reader, typed column by column. That avoids building one
Python tuple per row, which is where ``pandas.read_sql`` spends its time.

Students without research consent are left out in SQL, so their rows never reach the
analyst's process; ``include_non_consenting=True`` is for audits only.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from ainative.db.engine import get_engine, normalise_url
from ainative.db.models import CLASSIFICATIONS, COURSE_ROLES, GUARDRAIL_OUTCOMES, MODES, STATUSES

Source = str | Engine | None
TS = pa.timestamp("us", tz="UTC")
CAT = pa.dictionary(pa.int32(), pa.string())
_PANDAS_TYPES = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.float64(): pd.Float64Dtype(),
}


@dataclass(frozen=True)
class Column:
    """One output column: its SQL expression, its arrow type, fixed categories if any."""

    name: str
    sql: str
    type: pa.DataType
    categories: tuple[str, ...] | None = None


def _c(name: str, sql: str | None, type_: pa.DataType, cats: tuple[str, ...] | None = None):
    return Column(name, sql or f"x.{name}", type_, cats)


INTERACTION_COLUMNS = (
    _c("id", "x.id::text", pa.string()),
    _c("user_id", None, pa.int64()),
    _c("session_id", "x.session_id::text", pa.string()),
    _c("course_id", None, pa.int64()),
    _c("mode", None, CAT, MODES),
    _c("status", None, CAT, STATUSES),
    _c("classification", None, CAT, CLASSIFICATIONS),
    _c("guardrail", None, CAT, GUARDRAIL_OUTCOMES),
    _c("cache_hit", None, pa.bool_()),
    _c("attempts", None, pa.int16()),
    _c("provider", None, CAT),
    _c("model", None, CAT),
    _c("prompt_tokens", None, pa.int32()),
    _c("completion_tokens", None, pa.int32()),
    _c("queue_ms", None, pa.int32()),
    _c("llm_ms", None, pa.int32()),
    _c("total_ms", None, pa.int32()),
    _c("rating", None, pa.int16()),
    _c("has_error", "(x.error IS NOT NULL)", pa.bool_()),
    _c("answer_has_code", "(strpos(x.answer, '```') > 0)", pa.bool_()),
    _c("context_has_error", "(COALESCE(x.context->>'error', '') <> '')", pa.bool_()),
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


@contextmanager
def raw_connection(source: Source = None) -> Iterator[Any]:
    """A DBAPI (psycopg2) connection for `source`: a URL, an Engine, or Settings' default."""
    owned = None
    if isinstance(source, str):
        owned = engine = create_engine(normalise_url(source), poolclass=NullPool)
    else:
        engine = source if source is not None else get_engine()
    conn = engine.raw_connection()
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()
        if owned is not None:
            owned.dispose()


def copy_frame(
    sql: str,
    params: dict[str, Any],
    columns: Sequence[Column],
    source: Source,
    multiline: bool = False,
) -> pd.DataFrame:
    """Run `sql` through COPY TO STDOUT and parse it into typed columns.

    `multiline` must be set when text columns may hold newlines (code, prompts); it
    costs the parser some parallelism, so the numeric loaders leave it off.
    """
    buffer = io.BytesIO()
    with raw_connection(source) as conn:
        with conn.cursor() as cur:
            cur.execute("SET LOCAL TIME ZONE 'UTC'; SET LOCAL statement_timeout = 0")
            query = cur.mogrify(sql, params).decode()
            cur.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)", buffer)
    return parse_csv(buffer.getbuffer(), columns, multiline)


def parse_csv(
    data: bytes | memoryview, columns: Sequence[Column], multiline: bool = False
) -> pd.DataFrame:
    """Parse PostgreSQL CSV (NULL unquoted, '' quoted) into the declared dtypes."""
    table = pcsv.read_csv(
        pa.py_buffer(data),
        parse_options=pcsv.ParseOptions(newlines_in_values=multiline),
        convert_options=pcsv.ConvertOptions(
            column_types={c.name: c.type for c in columns},
            true_values=["t"],
            false_values=["f"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    frame = table.to_pandas(types_mapper=_PANDAS_TYPES.get)
    for col in columns:
        if col.type == CAT:
            cats = col.categories
            if cats is None:
                cats = tuple(sorted(str(v) for v in frame[col.name].cat.categories))
            frame[col.name] = frame[col.name].cat.set_categories(list(cats))
    return frame


def select_sql(columns: Sequence[Column], table: str, joins: str = "") -> str:
    """The SELECT list of `columns` from `table` aliased as x."""
    select_list = ", ".join(f"{c.sql} AS {c.name}" for c in columns)
    return f"SELECT {select_list} FROM {table} x {joins}"


def _filters(
    *,
    time_column: str,
    courses: Iterable[int | str] | int | str | None,
    since: datetime | date | str | None,
    until: datetime | date | str | None,
    user_ids: Iterable[int] | None,
    include_non_consenting: bool,
) -> tuple[str, str, dict[str, Any]]:
    """JOIN and WHERE clauses shared by the loaders, with their bound parameters."""
    where = ["TRUE"]
    params: dict[str, Any] = {}
    joins = "JOIN users u ON u.id = x.user_id"
    if not include_non_consenting:
        where.append("u.research_consent")
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
    **filters: Any,
) -> pd.DataFrame:
    joins, where, params = _filters(time_column=time_column, **filters)
    sql = f"{select_sql(columns, table, joins)} WHERE {where} ORDER BY x.{time_column}"
    return copy_frame(sql, params, columns, source, multiline)


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
        columns, "interactions", "created_at", source, include_text, courses=courses, since=since,
        until=until, user_ids=user_ids, include_non_consenting=include_non_consenting,
    )  # fmt: skip


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
    joins, where, params = _filters(
        time_column="occurred_at", courses=courses, since=since, until=until,
        user_ids=user_ids, include_non_consenting=include_non_consenting,
    )  # fmt: skip
    if event_types is not None:
        params["event_types"] = list(event_types)
        where += " AND x.event_type = ANY(%(event_types)s::text[])"
    sql = f"{select_sql(columns, 'events', joins)} WHERE {where} ORDER BY x.occurred_at, x.id"
    return copy_frame(sql, params, columns, source, multiline=include_text)


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
        SESSION_COLUMNS, "tutor_sessions", "started_at", source, courses=courses, since=since,
        until=until, user_ids=user_ids, include_non_consenting=include_non_consenting,
    )  # fmt: skip


def load_enrolments(
    source: Source = None,
    *,
    courses: Iterable[int | str] | int | str | None = None,
    role: str | None = "student",
    include_non_consenting: bool = False,
) -> pd.DataFrame:
    """Course memberships (students by default): the denominator of reach."""
    joins, where, params = _filters(
        time_column="created_at", courses=courses, since=None, until=None, user_ids=None,
        include_non_consenting=include_non_consenting,
    )  # fmt: skip
    joins += " JOIN courses c ON c.id = x.course_id"
    if role is not None:
        params["role"] = role
        where += " AND x.role = %(role)s"
    sql = f"{select_sql(ENROLMENT_COLUMNS, 'memberships', joins)} WHERE {where} ORDER BY x.id"
    return copy_frame(sql, params, ENROLMENT_COLUMNS, source)


DEADLINE_COLUMNS = (
    _c("course_id", None, pa.int64()),
    _c("deadline", "x.occurred_at", TS),
    _c("title", "x.payload->>'title'", pa.string()),
)


def load_deadlines(
    source: Source = None, *, courses: Iterable[int | str] | int | str | None = None
) -> pd.DataFrame:
    """Course deadlines (``course.deadline`` events, course-level: no student data)."""
    params: dict[str, Any] = {}
    where = "x.event_type = 'course.deadline' AND x.user_id IS NULL"
    if courses is not None:
        _, clause, params = _filters(
            time_column="occurred_at", courses=courses, since=None, until=None,
            user_ids=None, include_non_consenting=True,
        )  # fmt: skip
        where += f" AND {clause}"
    sql = f"{select_sql(DEADLINE_COLUMNS, 'events')} WHERE {where} ORDER BY x.occurred_at"
    return copy_frame(sql, params, DEADLINE_COLUMNS, source)
