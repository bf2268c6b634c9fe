"""Loaders for assignments (issue 22): a course's exercises and the questions AI windows refused.

A refusal by an AI window stores no interaction, only an ``ai_window.refused`` event
(``ainative.tutor.submit``) with the question's notebook; the assignment is the course's
assignment in that notebook (the lowest id when several share one). Exercises are
course-level rows: their titles and notebooks, never the reference solution, hidden tests
or tutor notes.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pyarrow as pa

from ainative.course.event_types import AI_WINDOW_REFUSED
from analytics.load import Source, _c, _load, select_sql
from analytics.pgcopy import CAT, TS, copy_frame
from analytics.trace_filter import TraceFilter

__all__ = ["EXERCISE_COLUMNS", "REFUSAL_COLUMNS", "load_exercises", "load_window_refusals"]

_NOTEBOOK = "COALESCE(x.notebook_path, x.payload->>'notebook_path')"
REFUSAL_COLUMNS = (
    _c("id", None, pa.int64()),
    _c("user_id", None, pa.int64()),
    _c("course_id", None, pa.int64()),
    _c("session_id", "x.session_id::text", pa.string()),
    _c("notebook_path", _NOTEBOOK, pa.string()),
    _c(
        "assignment_id",
        "(SELECT min(a.id) FROM assignments a WHERE a.course_id = x.course_id "
        f"AND a.notebook_path = {_NOTEBOOK})",
        pa.int32(),
    ),
    _c("tutor_mode", "x.payload->>'mode'", CAT),
    _c("window_ends_at", "(x.payload->>'ends_at')::timestamptz", TS),
    _c("occurred_at", None, TS),
)
EXERCISE_COLUMNS = (
    _c("assignment_id", "x.id", pa.int32()),
    _c("course_id", None, pa.int64()),
    _c("title", None, pa.string()),
    _c("notebook_path", None, pa.string()),
    _c("has_hidden_tests", None, pa.bool_()),
    _c("created_at", None, TS),
)


def load_window_refusals(
    source: Source = None, *, where: TraceFilter | None = None
) -> pd.DataFrame:
    """Questions an AI window refused (no LLM call was made), ordered by occurred_at.

    `where` may set courses, since <= occurred_at < until, user_ids and
    include_non_consenting; consent is judged when the server recorded the refusal.

    Returns
    -------
    DataFrame
        id, user_id, course_id, session_id, notebook_path, assignment_id (NA when no
        assignment lives in that notebook: a course-wide window), tutor_mode (asked for),
        window_ends_at (NA: open-ended), occurred_at.
    """
    where = where or TraceFilter()
    where.refuse_except(
        "load_window_refusals", ("courses", "since", "until", "user_ids", "include_non_consenting")
    )
    where = replace(where, event_types=[AI_WINDOW_REFUSED])
    return _load(
        REFUSAL_COLUMNS,
        "events",
        "occurred_at",
        source,
        where,
        partition="x.id",
        recorded_column="created_at",
    )


def load_exercises(source: Source = None, *, where: TraceFilter | None = None) -> pd.DataFrame:
    """A course's assignments (course-level rows), ordered by assignment_id.

    `where` may set courses. Returns assignment_id, course_id, title, notebook_path,
    has_hidden_tests and created_at.
    """
    where = where or TraceFilter()
    where.refuse_except("load_exercises", ("courses",))
    _, clause, params = where.clauses(consent=False)
    # The view, not the table: it has no reference solution or hidden tests to read.
    sql = f"{select_sql(EXERCISE_COLUMNS, 'assignment_outlines')} WHERE {clause}"
    return copy_frame(sql, params, EXERCISE_COLUMNS, source, order_by=["assignment_id"])
