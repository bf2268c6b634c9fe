"""How often the tutor's answers leak an assignment's solution, and what AI windows refused.

Pure functions over ``load_interactions`` (its leak columns) and
``analytics.load_windows.load_window_refusals`` frames, in the conventions of
``analytics.measures``. Weeks are ISO 8601 weeks of the server's UTC time ('2026-W14').
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics._frame import keys, share

__all__ = ["iso_week", "leak_rate", "window_refusals"]


def iso_week(times: pd.Series) -> pd.Series:
    """Each timestamp's ISO week as 'YYYY-Www' (string dtype; NA stays NA)."""
    utc = times.dt.tz_convert("UTC")
    calendar = utc.dt.isocalendar()
    text = calendar["year"].astype("string") + "-W" + calendar["week"].astype("string").str.zfill(2)
    return text.where(utc.notna()).astype("string")


def _with_week(frame: pd.DataFrame, time: str, group: list[str]) -> pd.DataFrame:
    return frame.assign(week=iso_week(frame[time])) if "week" in group else frame


def leak_rate(
    interactions: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = ("assignment_id", "arm_id", "week"),
    time: str = "created_at",
) -> pd.DataFrame:
    """Answers scored against an assignment's reference, and the share that leaked it.

    Parameters
    ----------
    interactions : DataFrame
        ``load_interactions`` rows with leak_score, leaked and passed_hidden_tests.
    by : str or list of str, optional
        Grouping columns; ``week`` is derived from `time` (ISO week). None: one row.
        Groups whose keys are NA (an arm outside experiments) are kept.
    time : str
        The timestamp a row's week is taken from.

    Returns
    -------
    DataFrame
        `by` columns, ``scored`` (Int64, answers with a leak score), ``above_threshold``
        (Int64, scored at or above the course's threshold: the guardrail rewrote or
        refused them), ``passed_hidden_tests`` (Int64, the answer's code passed the
        assignment's hidden tests), ``leak_rate`` (Float64, above_threshold / scored).

    Notes
    -----
    Only scored answers count: a question outside an assignment, or one that failed
    before an answer, has no leak score. Above threshold is the scorer's own verdict
    (``leak`` in the interaction's leak record), stored with the threshold in force.
    """
    group = keys(by)
    scored = interactions[interactions["leak_score"].notna()]
    scored = _with_week(scored, time, group)
    frame = pd.DataFrame(
        {
            **{k: scored[k] for k in group},
            "_scored": 1,
            "_above": scored["leaked"].astype("boolean").fillna(False).astype("int64"),
            "_passed": scored["passed_hidden_tests"]
            .astype("boolean")
            .fillna(False)
            .astype("int64"),
        }
    )
    sums = ["_scored", "_above", "_passed"]
    if group:
        out = frame.groupby(group, observed=True, dropna=False)[sums].sum().reset_index()
    else:
        out = frame[sums].sum().to_frame().T
    out = out.rename(
        columns={"_scored": "scored", "_above": "above_threshold", "_passed": "passed_hidden_tests"}
    )
    out = out.astype(
        {"scored": "Int64", "above_threshold": "Int64", "passed_hidden_tests": "Int64"}
    )
    out["leak_rate"] = share(out["above_threshold"], out["scored"])
    return out.reset_index(drop=True)


def window_refusals(
    refusals: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = ("assignment_id", "week"),
    time: str = "occurred_at",
) -> pd.DataFrame:
    """Questions refused by an AI window, counted per group.

    Parameters
    ----------
    refusals : DataFrame
        ``load_window_refusals`` rows.
    by : str or list of str, optional
        Grouping columns; ``week`` is derived from `time`. NA keys (a course-wide window
        over a notebook without an assignment) are kept.

    Returns
    -------
    DataFrame
        `by` columns, ``refused`` (Int64) and ``students`` (Int64, distinct user_id).
    """
    group = keys(by)
    frame = _with_week(refusals, time, group)
    if group:
        g = frame.groupby(group, observed=True, dropna=False)["user_id"]
        out = pd.DataFrame({"refused": g.size(), "students": g.nunique()}).reset_index()
    else:
        out = pd.DataFrame({"refused": [len(frame)], "students": [frame["user_id"].nunique()]})
    return out.astype({"refused": "Int64", "students": "Int64"})
