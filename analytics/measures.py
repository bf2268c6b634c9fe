"""Help-seeking measures: pure functions from long-format DataFrames to new DataFrames.

Conventions (pingouin's): every function takes the frame(s) returned by
``analytics.load`` plus column names, never modifies its input, returns a new
DataFrame with explicit dtypes, and groups with ``observed=True``. This module holds
who asks, when and for what; answer outcomes (guardrails, ratings) live in
``analytics.outcomes``, sessions and run/help sequences in ``analytics.sequence``,
operator figures in ``analytics.ops_metrics``, the leak rate of assignments and AI-window
refusals in ``analytics.leak_rates``, the time to a person's first reply in
``analytics.reply_times``. All are importable from here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics._frame import keys, share
from analytics.leak_rates import leak_rate, window_refusals
from analytics.ops_metrics import cache_hit_rate, error_rate, latency_summary
from analytics.outcomes import guardrail_outcomes, rating_distribution, rating_summary
from analytics.reply_times import time_to_first_reply
from analytics.sequence import next_run_after_answer, sessions_by_inactivity, time_to_help

__all__ = [
    "cache_hit_rate",
    "deadline_profile",
    "error_rate",
    "guardrail_outcomes",
    "help_by_hour",
    "hours_to_deadline",
    "latency_summary",
    "leak_rate",
    "next_run_after_answer",
    "outside_working_hours",
    "queries_per_student",
    "rating_distribution",
    "rating_summary",
    "reach",
    "request_mix",
    "sessions_by_inactivity",
    "solution_seeking",
    "time_to_first_reply",
    "time_to_help",
    "window_refusals",
]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SOLUTION_REQUEST = "solution-request"


def queries_per_student(
    enrolments: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    user: str = "user_id",
    course: str = "course_id",
) -> pd.DataFrame:
    """Number of tutor requests of every enrolled student, zeros included.

    Parameters
    ----------
    enrolments : DataFrame
        One row per enrolled student (``load_enrolments``), with `user` and `course`.
    interactions : DataFrame
        One row per tutor request (``load_interactions``), with `user` and `course`.
    user, course : str
        Column names of the student and course identifiers.

    Returns
    -------
    DataFrame
        Columns `course`, `user` and ``queries`` (Int64): one row per enrolment.

    Notes
    -----
    Requests made outside an enrolment (another course, no course) are not counted.
    Source: the interactions table, one row per submitted request.
    """
    counts = (
        interactions.groupby([course, user], observed=True).size().rename("queries").reset_index()
    )
    out = enrolments[[course, user]].drop_duplicates().merge(counts, on=[course, user], how="left")
    out["queries"] = out["queries"].fillna(0).astype("Int64")
    return out.reset_index(drop=True)


def reach(
    enrolments: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    user: str = "user_id",
    course: str = "course_id",
) -> pd.DataFrame:
    """Reach of the tutor per course: the share of enrolled students who used it.

    Parameters
    ----------
    enrolments, interactions : DataFrame
        As in :func:`queries_per_student`.
    user, course : str
        Column names.

    Returns
    -------
    DataFrame
        One row per course: `course`, ``enrolled`` (Int64), ``users`` (Int64, enrolled
        students with at least one request), ``reach`` (Float64, users / enrolled),
        ``queries`` (Int64), ``queries_per_student`` (Float64, queries / enrolled) and
        ``queries_per_user`` (Float64, queries / users).

    Notes
    -----
    reach = |{enrolled students with >= 1 request}| / |{enrolled students}|. Both sets
    are restricted to what the loaders return (consenting students by default).
    """
    per = queries_per_student(enrolments, interactions, user=user, course=course)
    g = per.groupby(course, observed=True)
    out = pd.DataFrame(
        {
            "enrolled": g.size().astype("Int64"),
            "users": g["queries"].agg(lambda q: int((q > 0).sum())).astype("Int64"),
            "queries": g["queries"].sum().astype("Int64"),
        }
    ).reset_index()
    out["reach"] = share(out["users"], out["enrolled"])
    out["queries_per_student"] = share(out["queries"], out["enrolled"])
    out["queries_per_user"] = share(out["queries"], out["users"])
    columns = ["enrolled", "users", "reach", "queries", "queries_per_student", "queries_per_user"]
    return out[[course, *columns]]


def _local(times: pd.Series, tz: str) -> pd.Series:
    return times.dt.tz_convert(tz)


def help_by_hour(
    interactions: pd.DataFrame, *, time: str = "created_at", tz: str = "UTC"
) -> pd.DataFrame:
    """When help is sought: requests per weekday and hour of day (a full 7 x 24 grid).

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with a tz-aware timestamp column `time`.
    time : str
        Column of the request time.
    tz : str
        Time zone in which hours and weekdays are read (the course's local time).

    Returns
    -------
    DataFrame
        168 rows: ``weekday`` (ordered categorical Monday..Sunday), ``hour`` (Int64,
        0-23) and ``requests`` (Int64, zero where none).
    """
    local = _local(interactions[time], tz)
    frame = pd.DataFrame({"weekday": local.dt.day_of_week, "hour": local.dt.hour})
    grid = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    counts = frame.groupby(["weekday", "hour"]).size().reindex(grid, fill_value=0)
    out = counts.rename("requests").reset_index()
    out["weekday"] = pd.Categorical.from_codes(
        out["weekday"], categories=list(WEEKDAYS), ordered=True
    )
    return out.astype({"hour": "Int64", "requests": "Int64"})


def outside_working_hours(
    interactions: pd.DataFrame,
    *,
    time: str = "created_at",
    tz: str = "UTC",
    start_hour: int = 9,
    end_hour: int = 17,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Share of requests made outside working hours (evenings, nights and weekends).

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with a tz-aware `time` column.
    time, tz : str
        Timestamp column and the local time zone.
    start_hour, end_hour : int
        Working hours are Monday-Friday, ``start_hour <= hour < end_hour`` local time.
    by : str or list of str, optional
        Grouping columns (e.g. ``"user_id"``); None gives one overall row.

    Returns
    -------
    DataFrame
        `by` columns, ``requests`` (Int64), ``outside`` (Int64), ``share`` (Float64).
    """
    local = _local(interactions[time], tz)
    outside = (
        (local.dt.day_of_week >= 5) | (local.dt.hour < start_hour) | (local.dt.hour >= end_hour)
    )
    frame = interactions[keys(by)].assign(_outside=outside.to_numpy())
    if by is None:
        frame = frame.assign(_all=0)
    g = frame.groupby(keys(by) or ["_all"], observed=True)["_outside"]
    out = pd.DataFrame({"requests": g.size(), "outside": g.sum()}).reset_index()
    out = out.drop(columns="_all", errors="ignore")
    out = out.astype({"requests": "Int64", "outside": "Int64"})
    out["share"] = share(out["outside"], out["requests"])
    return out


def hours_to_deadline(
    interactions: pd.DataFrame,
    deadlines: pd.DataFrame,
    *,
    time: str = "created_at",
    course: str = "course_id",
    deadline: str = "deadline",
) -> pd.Series:
    """Hours from each request to the next deadline of its course.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with `time` and `course` columns.
    deadlines : DataFrame
        One row per deadline: `course` and the tz-aware `deadline` time.
    time, course, deadline : str
        Column names.

    Returns
    -------
    Series
        Float64, aligned with `interactions`' index; NA when no deadline follows or the
        request has no course.
    """
    # Rows without a course (asked outside any course) have no deadline: they are left
    # out of the join and stay NA. Keys are int64 on both sides once NA rows are gone
    # (merge_asof refuses a float key against an int one).
    left = pd.DataFrame(
        {
            "_t": interactions[time].array,
            "_c": interactions[course].astype("Int64").array,
            "_i": np.arange(len(interactions)),
        }
    )
    right = pd.DataFrame(
        {"_d": deadlines[deadline].array, "_c": deadlines[course].astype("Int64").array}
    )
    left = left.dropna(subset=["_c", "_t"]).astype({"_c": "int64"}).sort_values("_t")
    right = right.dropna().astype({"_c": "int64"}).sort_values("_d")
    out = pd.Series(pd.NA, index=interactions.index, dtype="Float64", name="hours_to_deadline")
    if left.empty or right.empty:
        return out
    joined = pd.merge_asof(left, right, left_on="_t", right_on="_d", by="_c", direction="forward")
    hours = (joined["_d"] - joined["_t"]).dt.total_seconds() / 3600
    out.iloc[joined["_i"].to_numpy()] = hours.to_numpy()
    return out


def deadline_profile(
    hours: pd.Series, *, edges: Sequence[float] = (0, 6, 24, 72, 168, np.inf)
) -> pd.DataFrame:
    """Requests binned by how close to a deadline they came.

    Parameters
    ----------
    hours : Series
        Output of :func:`hours_to_deadline`.
    edges : sequence of float
        Bin edges in hours; bins are left-closed, e.g. [0, 6) = last six hours.

    Returns
    -------
    DataFrame
        ``window`` (ordered categorical of bins), ``requests`` (Int64), ``share``
        (Float64, of requests that have a following deadline).
    """
    bins = pd.cut(hours.astype("float64"), bins=list(edges), right=False)
    counts = bins.value_counts(sort=False)
    out = pd.DataFrame({"window": counts.index, "requests": counts.to_numpy()})
    out["requests"] = out["requests"].astype("Int64")
    out["share"] = share(out["requests"], pd.Series(out["requests"].sum(), index=out.index))
    return out


def request_mix(
    interactions: pd.DataFrame,
    *,
    kind: str = "classification",
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Request-type mix: how many requests of each classification, and their share.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with a categorical `kind` column.
    kind : str
        Column of the request type (the worker's classification).
    by : str or list of str, optional
        Grouping columns; shares are within each group.

    Returns
    -------
    DataFrame
        `by` columns, `kind`, ``requests`` (Int64), ``share`` (Float64). Unclassified
        requests (NA) are left out.
    """
    group = keys(by)
    counts = interactions.groupby(group + [kind], observed=True).size().rename("requests")
    out = counts.reset_index()
    totals = (
        out.groupby(group, observed=True)["requests"].transform("sum")
        if group
        else (pd.Series(out["requests"].sum(), index=out.index))
    )
    out["requests"] = out["requests"].astype("Int64")
    out["share"] = share(out["requests"], totals)
    return out


def solution_seeking(
    interactions: pd.DataFrame,
    *,
    kind: str = "classification",
    by: str | Sequence[str] = "user_id",
    solution: str = SOLUTION_REQUEST,
) -> pd.DataFrame:
    """Solution-seeking ratio: solution requests over all classified requests.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with a `kind` column.
    kind : str
        Column of the request type.
    by : str or list of str
        Unit of analysis, per student by default.
    solution : str
        The value of `kind` that marks a request for a full solution.

    Returns
    -------
    DataFrame
        `by` columns, ``requests`` (Int64, classified requests), ``solution_requests``
        (Int64) and ``ratio`` (Float64).

    Notes
    -----
    ratio = solution requests / classified requests. Unclassified requests (still
    queued, failed) are excluded from both counts.
    """
    classified = interactions[interactions[kind].notna()]
    flag = (classified[kind] == solution).astype("int64")
    g = classified.assign(_s=flag.to_numpy()).groupby(keys(by), observed=True)["_s"]
    out = pd.DataFrame({"requests": g.size(), "solution_requests": g.sum()}).reset_index()
    out = out.astype({"requests": "Int64", "solution_requests": "Int64"})
    out["ratio"] = share(out["solution_requests"], out["requests"])
    return out
