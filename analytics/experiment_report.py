"""The experiment report: each student's data under their arm, and the arms compared.

`with_arm` gives every row the arm its student was assigned (intention to treat); the
comparisons are those of ``analytics.bootstrap`` (cluster-bootstrap intervals) with the
effect sizes of ``analytics.effsize``, importable from here as the report notebook uses
them. Functions return a new frame; the input is never modified.
"""

from __future__ import annotations

import pandas as pd

from analytics.bootstrap import compare_arms, summarise_arms
from analytics.effsize import bonferroni

__all__ = ["bonferroni", "compare_arms", "summarise_arms", "with_arm"]


def with_arm(
    frame: pd.DataFrame,
    assignments: pd.DataFrame,
    *,
    user: str = "user_id",
    arm: str = "arm",
    time: str | None = None,
    until: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """`frame` with each student's arm beside it; students without an assignment are dropped.

    Parameters
    ----------
    frame : DataFrame
        Any per-student or per-event frame with a `user` column.
    assignments : DataFrame
        ``load.load_assignments`` of ONE experiment (`user`, `arm`, ``assigned_at``).
    user, arm : str
        Column names.
    time : str, optional
        A timestamp column of `frame`: when given, only rows from the student's
        assignment on are kept (what happened under the arm).
    until : Timestamp, optional
        With `time`: rows at or after it (the experiment's end) are dropped too.

    Returns
    -------
    DataFrame
        `frame`'s rows of assigned students with an `arm` column (categorical, the arms in
        the assignments' order). This is an intention-to-treat grouping: the arm a student
        was assigned, whatever they did later.
    """
    if assignments[user].duplicated().any():
        raise ValueError("assignments hold a student twice: pass one experiment's rows")
    keep = [user, arm] + (["assigned_at"] if time is not None else [])
    arms = assignments[keep].copy()
    order = (
        list(arms[arm].cat.categories)
        if isinstance(arms[arm].dtype, pd.CategoricalDtype)
        else sorted(arms[arm].dropna().unique())
    )
    arms[arm] = pd.Categorical(arms[arm].astype(object), categories=order)
    left = frame.drop(columns=[arm]) if arm in frame.columns else frame
    merged = left.astype({user: "int64"}).merge(arms.astype({user: "int64"}), on=user)
    if time is not None:
        inside = merged[time] >= merged["assigned_at"]
        if until is not None and not pd.isna(until):
            inside &= merged[time] < until
        merged = merged[inside.fillna(False).to_numpy(dtype=bool)].drop(columns=["assigned_at"])
        merged = merged.reset_index(drop=True)
    return merged.astype({user: frame[user].dtype})
