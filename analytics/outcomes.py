"""Answer outcomes: what the guardrails did with answers, and how students rated them."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics._frame import keys, share


def guardrail_outcomes(
    interactions: pd.DataFrame,
    *,
    guardrail: str = "guardrail",
    code: str = "answer_has_code",
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Guardrail outcomes of answered requests: passed, rewritten, refused; and code in answers.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests (``load_interactions``); rows without an outcome (unanswered,
        failed) are left out.
    guardrail : str
        Categorical column of the outcome (passed / rewritten / refused).
    code : str
        Boolean column: the delivered answer contained a fenced code block.
    by : str or list of str, optional
        Grouping columns (e.g. ``"classification"``); shares are within each group.

    Returns
    -------
    DataFrame
        `by` columns, `guardrail`, ``answers`` (Int64), ``share`` (Float64, of answers
        in the group), ``with_code`` (Int64) and ``with_code_share`` (Float64, of the
        outcome's answers).

    Notes
    -----
    Source: the worker's guardrail step, which rewrites answers that give away a
    solution and refuses off-limits requests; `code` is derived in SQL from the answer.
    """
    group = keys(by)
    answered = interactions[interactions[guardrail].notna()]
    flag = answered[code].fillna(False).astype("int64").to_numpy()
    g = answered.assign(_code=flag).groupby(group + [guardrail], observed=True)["_code"]
    out = pd.DataFrame({"answers": g.size(), "with_code": g.sum()}).reset_index()
    out = out.astype({"answers": "Int64", "with_code": "Int64"})
    totals = (
        out.groupby(group, observed=True)["answers"].transform("sum")
        if group
        else pd.Series(out["answers"].sum(), index=out.index)
    )
    out["share"] = share(out["answers"], totals)
    out["with_code_share"] = share(out["with_code"], out["answers"])
    return out[[*group, guardrail, "answers", "share", "with_code", "with_code_share"]]


def rating_distribution(
    interactions: pd.DataFrame,
    *,
    rating: str = "rating",
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Helpfulness: how often each rating was given.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with a nullable integer `rating` column (NA = not rated).
    rating : str
        Column of the student's rating.
    by : str or list of str, optional
        Grouping columns; shares are within each group.

    Returns
    -------
    DataFrame
        `by` columns, `rating` (Int64), ``ratings`` (Int64), ``share`` (Float64, of
        rated answers in the group).
    """
    group = keys(by)
    rated = interactions[interactions[rating].notna()]
    out = rated.groupby(group + [rating], observed=True).size().rename("ratings").reset_index()
    out = out.astype({rating: "Int64", "ratings": "Int64"})
    totals = (
        out.groupby(group, observed=True)["ratings"].transform("sum")
        if group
        else pd.Series(out["ratings"].sum(), index=out.index)
    )
    out["share"] = share(out["ratings"], totals)
    return out


def rating_summary(
    interactions: pd.DataFrame,
    *,
    rating: str = "rating",
    status: str = "status",
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """How many answers were rated, and their mean rating.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with `rating` and `status` columns.
    rating, status : str
        Column names; answers are rows whose status is ``"done"``.
    by : str or list of str, optional
        Grouping columns.

    Returns
    -------
    DataFrame
        `by` columns, ``answers`` (Int64), ``rated`` (Int64), ``rated_share`` (Float64)
        and ``mean_rating`` (Float64, NA when nothing was rated).
    """
    group = keys(by)
    answers = interactions[interactions[status] == "done"]
    values = answers[rating].astype("Float64")
    frame = answers[group].assign(_r=values.to_numpy(), _rated=values.notna().to_numpy())
    if not group:
        frame = frame.assign(_all=0)
    g = frame.groupby(group or ["_all"], observed=True)
    out = pd.DataFrame(
        {"answers": g.size(), "rated": g["_rated"].sum(), "mean_rating": g["_r"].mean()}
    ).reset_index()
    out = out.drop(columns="_all", errors="ignore")
    out = out.astype({"answers": "Int64", "rated": "Int64", "mean_rating": "Float64"})
    out["rated_share"] = share(out["rated"], out["answers"])
    return out[[*group, "answers", "rated", "rated_share", "mean_rating"]]
