"""Which rows of the research trace a loader returns: one filter type for every loader.

A `TraceFilter` is built once (at the top of a notebook, from an export's options) and
handed to each loader of ``analytics.load``; ``dataclasses.replace`` derives a narrower
one. A loader refuses a field it cannot apply (ValueError naming it) rather than ignore
it. The SQL is rendered here with bound parameters (psycopg2's ``%(name)s``), never by
formatting values into the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import pandas as pd

from ainative.course.consent import in_force_clause

Moment = datetime | date | str
USERS_JOIN = "JOIN users u ON u.id = x.user_id"


def _tuple(values: Any, kind: type | tuple[type, ...]) -> tuple[Any, ...] | None:
    """None, one value or an iterable of values, as a tuple (a generator is read once)."""
    if values is None:
        return None
    if isinstance(values, kind) and not isinstance(values, tuple):
        return (values,)
    return tuple(values)


@dataclass(frozen=True)
class TraceFilter:
    """The rows to load: courses, a time window, students, event types, experiments.

    Parameters
    ----------
    courses : int, str or iterable of them, optional
        Course ids and/or codes.
    since, until : datetime, date or str, optional
        ``since`` <= the loader's time column < ``until``; naive values are UTC.
    user_ids : iterable of int, optional
        Students.
    event_types : iterable of str, optional
        Event types (``ainative.course.event_types``); ``load_events`` only.
    experiments : iterable of int, optional
        Experiment ids; ``load_assignments`` only.
    include_non_consenting : bool
        For audits: also rows recorded without research consent in force.
    """

    courses: int | str | Iterable[int | str] | None = None
    since: Moment | None = None
    until: Moment | None = None
    user_ids: Iterable[int] | None = None
    event_types: Iterable[str] | None = None
    experiments: Iterable[int] | None = None
    include_non_consenting: bool = False

    def __post_init__(self) -> None:
        for name, kind in (
            ("courses", (int, str)),
            ("user_ids", int),
            ("event_types", str),
            ("experiments", int),
        ):
            object.__setattr__(self, name, _tuple(getattr(self, name), kind))

    def set_fields(self) -> set[str]:
        """The fields that narrow the rows (those not at their default)."""
        return {f.name for f in fields(self) if getattr(self, f.name) != f.default}

    def refuse_except(self, loader: str, allowed: Iterable[str]) -> None:
        """ValueError when a field outside `allowed` is set: `loader` cannot apply it."""
        extra = sorted(self.set_fields() - set(allowed))
        if extra:
            raise ValueError(f"{loader} cannot filter by {', '.join(extra)}")

    def clauses(
        self,
        *,
        time_column: str | None = None,
        recorded_column: str | None = None,
        consent: bool = True,
    ) -> tuple[str, str, dict[str, Any]]:
        """JOIN and WHERE clauses for a table aliased x, with their bound parameters.

        Consent is judged at `recorded_column` (default `time_column`): when the server
        recorded the row, never a client's clock. `consent=False` leaves the rule to the
        caller (course-level tables, the enrolment denominator).
        """
        where = ["TRUE"]
        params: dict[str, Any] = {}
        if consent and not self.include_non_consenting:
            where.append(in_force_clause("x", recorded_column or time_column or ""))
        courses = _tuple(self.courses, (int, str))  # already a tuple: read as one
        if courses is not None:
            params["course_ids"] = [int(c) for c in courses if isinstance(c, int)]
            params["course_codes"] = [str(c) for c in courses if isinstance(c, str)]
            where.append(
                "x.course_id IN (SELECT id FROM courses WHERE id = ANY(%(course_ids)s::int[])"
                " OR code = ANY(%(course_codes)s::text[]))"
            )
        for name, op in (("since", ">="), ("until", "<")):
            value = getattr(self, name)
            if value is not None:
                params[name] = pd.Timestamp(value).tz_localize("UTC") if _naive(value) else value
                where.append(f"x.{time_column} {op} %({name})s")
        if self.user_ids is not None:
            params["user_ids"] = [int(u) for u in self.user_ids]
            where.append("x.user_id = ANY(%(user_ids)s::int[])")
        if self.event_types is not None:
            params["event_types"] = list(self.event_types)
            where.append("x.event_type = ANY(%(event_types)s::text[])")
        if self.experiments is not None:
            params["experiment_ids"] = [int(e) for e in self.experiments]
            where.append("x.experiment_id = ANY(%(experiment_ids)s::int[])")
        return USERS_JOIN, " AND ".join(where), params


def _naive(value: Moment) -> bool:
    return pd.Timestamp(value).tzinfo is None
