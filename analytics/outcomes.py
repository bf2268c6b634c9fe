"""Answer outcomes: what the guardrails did with answers, and how students rated them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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
    scale: str = "score",
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """How often each value of one rating scale was given.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests (``load_interactions``) with the nullable `scale` column
        (NA = not rated on that scale).
    scale : str
        ``"score"`` (the 1-5 score) or ``"helpful"`` (the thumbs, True/False). The two
        scales are never pooled: a thumbs-up is not a score.
    by : str or list of str, optional
        Grouping columns; shares are within each group.

    Returns
    -------
    DataFrame
        `by` columns, `scale` (Int64 for a score, boolean for helpful), ``ratings``
        (Int64) and ``share`` (Float64, of the answers rated on that scale in the group).
    """
    group = keys(by)
    rated = interactions[interactions[scale].notna()]
    out = rated.groupby(group + [scale], observed=True).size().rename("ratings").reset_index()
    is_bool = pd.api.types.is_bool_dtype(interactions[scale].dtype)
    out = out.astype({scale: "boolean" if is_bool else "Int64", "ratings": "Int64"})
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
    helpful: str = "helpful",
    score: str = "score",
    status: str = "status",
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """How many answers were rated, the share rated helpful and the mean score, apart.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with `helpful`, `score` and `status` columns.
    helpful, score, status : str
        Column names: the thumbs (True/False, NA = not given), the 1-5 score (NA = not
        given) and the status; answers are rows whose status is ``"done"``.
    by : str or list of str, optional
        Grouping columns.

    Returns
    -------
    DataFrame
        `by` columns, ``answers`` (Int64), ``rated`` (Int64, on either scale),
        ``rated_share`` (Float64), ``helpful_votes`` (Int64, answers with a thumbs up or
        down), ``helpful_share`` (Float64, thumbs up among them), ``scored`` (Int64,
        answers with a score) and ``mean_score`` (Float64). Shares and the mean are NA
        when their count is 0.

    Notes
    -----
    Source: the rating endpoint, which stores the two scales in separate columns (a
    student may give either or both); before migration 0003 they shared one column.
    """
    group = keys(by)
    answers = interactions[interactions[status] == "done"]
    votes = answers[helpful].astype("boolean")
    scores = answers[score].astype("Float64")
    frame = answers[group].assign(
        _voted=votes.notna().to_numpy(),
        _yes=votes.fillna(False).to_numpy(dtype=bool),
        _scored=scores.notna().to_numpy(),
        _score=scores.to_numpy(dtype="float64", na_value=np.nan),
    )
    frame["_rated"] = frame["_voted"] | frame["_scored"]
    if not group:
        frame = frame.assign(_all=0)
    g = frame.groupby(group or ["_all"], observed=True)
    out = pd.DataFrame(
        {
            "answers": g.size(),
            "rated": g["_rated"].sum(),
            "helpful_votes": g["_voted"].sum(),
            "_yes": g["_yes"].sum(),
            "scored": g["_scored"].sum(),
            "mean_score": g["_score"].mean(),
        }
    ).reset_index()
    out = out.drop(columns="_all", errors="ignore")
    counts = ("answers", "rated", "helpful_votes", "_yes", "scored")
    out = out.astype({**dict.fromkeys(counts, "Int64"), "mean_score": "Float64"})
    out["rated_share"] = share(out["rated"], out["answers"])
    out["helpful_share"] = share(out["_yes"], out["helpful_votes"])
    columns = ["answers", "rated", "rated_share", "helpful_votes", "helpful_share", "scored"]
    return out[[*group, *columns, "mean_score"]]
