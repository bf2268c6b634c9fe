"""Sequences in time: sessions cut by inactivity, and how cell runs and help requests follow
each other (time from a failing run to help; whether the run after an answer succeeds)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ainative.course.event_types import CELL_EXECUTED
from analytics.novice_runs import is_tutor_run


def sessions_by_inactivity(
    interactions: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "created_at",
    gap: str | pd.Timedelta = "30min",
) -> pd.DataFrame:
    """Tutoring sessions: a student's requests with no pause longer than `gap`.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with `user` and tz-aware `time` columns.
    user, time : str
        Column names.
    gap : str or Timedelta
        Inactivity cutoff: a pause longer than this starts a new session.

    Returns
    -------
    DataFrame
        One row per session: `user`, ``session`` (Int64, 1-based per student),
        ``start``, ``end`` (first and last request), ``turns`` (Int64, requests) and
        ``length_s`` (Float64, end - start in seconds; 0 for a one-request session).

    Notes
    -----
    The usual inactivity-threshold sessionisation of log data; 30 minutes is the
    common default in web analytics. Sessions stored by the platform
    (``load_sessions``) are the client's own notion and may differ.
    """
    cutoff = pd.Timedelta(gap)
    frame = interactions[[user, time]].dropna().sort_values([user, time], kind="stable")
    new_user = frame[user].ne(frame[user].shift()).fillna(True)
    new_gap = (frame[time].diff() > cutoff).fillna(False)
    number = (new_user | new_gap).astype("int64").groupby(frame[user], observed=True).cumsum()
    frame = frame.assign(session=number.to_numpy())
    g = frame.groupby([user, "session"], observed=True)[time]
    out = pd.DataFrame({"start": g.min(), "end": g.max(), "turns": g.size()}).reset_index()
    out["length_s"] = (out["end"] - out["start"]).dt.total_seconds().astype("Float64")
    return out.astype({"session": "Int64", "turns": "Int64"})


def _runs(events: pd.DataFrame, event_type: str, run_type: str) -> pd.DataFrame:
    """The runs, without the tutor's own cells (not the student's work: no measure counts
    them, ``analytics.novice_runs``)."""
    runs = events[events[event_type] == run_type]
    return runs[~is_tutor_run(runs)]


def time_to_help(
    events: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    user: str = "user_id",
    run_time: str = "occurred_at",
    success: str = "success",
    help_time: str = "created_at",
    event_type: str = "event_type",
    run_type: str = CELL_EXECUTED,
    window: str | pd.Timedelta = "30min",
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """Time from each failing cell execution to the student's next help request.

    Parameters
    ----------
    events : DataFrame
        Research events (``load_events``) with `event_type`, `user`, `run_time` and the
        boolean `success` of cell runs.
    interactions : DataFrame
        Tutor requests with `user` and `help_time`.
    user, run_time, success, help_time, event_type : str
        Column names.
    run_type : str
        The event type of a cell execution.
    window : str or Timedelta
        A request later than this after the failure does not count as its help.
    keep : sequence of str
        Event columns to carry into the result (e.g. ``["error_type"]``).

    Returns
    -------
    DataFrame
        One row per failing run: `user`, ``failed_at``, `keep` columns, ``help_at``
        (NaT when no request followed within `window`), ``seconds`` (Float64) and
        ``helped`` (boolean).

    Notes
    -----
    Every failing run counts, so a streak of failures before one request yields
    several rows with decreasing delays; take the last per streak for "time from
    the final failure". Sources: cell.executed events, interactions.created_at.
    """
    runs = _runs(events, event_type, run_type)
    failed = runs[runs[success].eq(False).fillna(False).to_numpy(dtype=bool)]
    left = failed[[user, run_time, *keep]].rename(columns={run_time: "failed_at"})
    right = interactions[[user, help_time]].rename(columns={help_time: "help_at"})
    out = _forward(left, right, user, "failed_at", "help_at", window, exact=True)
    out["seconds"] = (out["help_at"] - out["failed_at"]).dt.total_seconds().astype("Float64")
    out["helped"] = out["help_at"].notna().astype("boolean")
    return out[[user, "failed_at", *keep, "help_at", "seconds", "helped"]]


def next_run_after_answer(
    interactions: pd.DataFrame,
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    answered_time: str = "completed_at",
    status: str = "status",
    run_time: str = "occurred_at",
    success: str = "success",
    event_type: str = "event_type",
    run_type: str = CELL_EXECUTED,
    window: str | pd.Timedelta = "30min",
    keep: Sequence[str] = ("id", "classification", "guardrail"),
) -> pd.DataFrame:
    """Whether the student's next cell execution after an answer succeeds.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests; answered ones are those with ``status == "done"``.
    events : DataFrame
        Research events with cell runs.
    user, answered_time, status, run_time, success, event_type : str
        Column names.
    run_type : str
        The event type of a cell execution.
    window : str or Timedelta
        A run later than this after the answer does not count as its next run.
    keep : sequence of str
        Interaction columns to carry into the result (those present are kept).

    Returns
    -------
    DataFrame
        One row per answer: `user`, ``answered_at``, `keep` columns, ``next_run_at``
        (NaT when none within `window`), ``seconds`` (Float64) and ``next_success``
        (boolean, NA when there was no next run).

    Notes
    -----
    A proxy for an answer's usefulness, not a causal effect: the next run may fix
    something else. Sources: interactions.completed_at, cell.executed events.
    """
    kept = [c for c in keep if c in interactions.columns]
    answered = interactions[interactions[status].eq("done").fillna(False).to_numpy(dtype=bool)]
    left = answered[[user, answered_time, *kept]].rename(columns={answered_time: "answered_at"})
    runs = _runs(events, event_type, run_type)
    right = runs[[user, run_time, success]].rename(
        columns={run_time: "next_run_at", success: "next_success"}
    )
    out = _forward(left, right, user, "answered_at", "next_run_at", window, exact=False)
    out["seconds"] = (out["next_run_at"] - out["answered_at"]).dt.total_seconds()
    out["seconds"] = out["seconds"].astype("Float64")
    out["next_success"] = out["next_success"].astype("boolean")
    return out[[user, "answered_at", *kept, "next_run_at", "seconds", "next_success"]]


def _forward(
    left: pd.DataFrame,
    right: pd.DataFrame,
    user: str,
    left_on: str,
    right_on: str,
    window: str | pd.Timedelta,
    exact: bool,
) -> pd.DataFrame:
    """For each left row, the first right row of the same user at/after it within window."""
    left = left.dropna(subset=[user, left_on]).astype({user: "int64"})
    right = right.dropna(subset=[user, right_on]).astype({user: "int64"})
    left = left.sort_values(left_on, kind="stable")
    right = right.sort_values(right_on, kind="stable")
    right = right.assign(_match=right[right_on])
    out = pd.merge_asof(
        left,
        right.drop(columns=[right_on]),
        left_on=left_on,
        right_on="_match",
        by=user,
        direction="forward",
        tolerance=pd.Timedelta(window),
        allow_exact_matches=exact,
    )
    out = out.rename(columns={"_match": right_on}).astype({user: "Int64"})
    return out.sort_values([user, left_on], kind="stable").reset_index(drop=True)
