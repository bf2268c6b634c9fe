"""Time to fix as a censored survival outcome: Kaplan-Meier by arm, Cox with cluster-robust errors.

An error streak that was never resolved is not missing and not "fast": it was observed
unresolved for as long as the student was observed. ``censored_fix_times`` turns
``analytics.novice.time_to_fix`` streaks into (duration, event) pairs censored at the end
of each student's observation; ``kaplan_meier`` and ``cox_by_arm`` analyse them with
lifelines.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter


def censored_fix_times(
    streaks: pd.DataFrame,
    censor_at: pd.Series | pd.Timestamp,
    *,
    user: str = "user_id",
    failed: str = "failed_at",
    fixed: str = "fixed_at",
) -> pd.DataFrame:
    """Error streaks as survival data: `duration` in seconds and `event` (1 fixed, 0 censored).

    Parameters
    ----------
    streaks : DataFrame
        ``time_to_fix`` output (`user`, `failed`, `fixed`; `fixed` NaT when unresolved).
    censor_at : Series or Timestamp
        When observation of each student ended (a Series indexed by `user`: e.g. their
        last recorded run, or the experiment's end), or one time for all.

    Returns
    -------
    DataFrame
        `streaks`' columns plus ``duration`` (float, seconds, >= 0) and ``event`` (int 0/1).
        A streak is censored at ``censor_at`` when it was not fixed by then (a fix after
        the end of observation counts as not seen).

    Notes
    -----
    Right censoring as in Kaplan & Meier (1958): an unresolved streak contributes its
    time at risk, not an outcome. Censoring is assumed non-informative given the arm.
    """
    out = streaks.copy()
    if isinstance(censor_at, pd.Series):
        end = out[user].map(censor_at)
    else:
        end = pd.Series(censor_at, index=out.index)
    end = pd.to_datetime(end, utc=True)
    fixed_at = pd.to_datetime(out[fixed], utc=True)
    event = fixed_at.notna() & (end.isna() | (fixed_at <= end))
    stop = fixed_at.where(event, end)
    if stop.isna().any():
        raise ValueError("censor_at has no time for some student with an unresolved streak")
    seconds = (stop - pd.to_datetime(out[failed], utc=True)).dt.total_seconds()
    out["duration"] = seconds.clip(lower=0).astype(float)
    out["event"] = event.astype(int)
    return out


def kaplan_meier(
    data: pd.DataFrame,
    *,
    arm: str = "arm",
    duration: str = "duration",
    event: str = "event",
) -> pd.DataFrame:
    """The Kaplan-Meier curve of each arm at its event times.

    Returns
    -------
    DataFrame
        ``arm``, ``time`` (event times, and 0), ``survival`` (the product-limit estimate
        S(t)), ``at_risk`` and ``events`` (Int64) at each time, ``median`` (the arm's
        median time, inf when S never reaches 0.5).
    """
    frames = []
    for name, group in data.groupby(arm, observed=True, sort=True):
        fit = KaplanMeierFitter().fit(group[duration], group[event])
        table = fit.event_table
        curve = fit.survival_function_.iloc[:, 0]
        frames.append(
            pd.DataFrame(
                {
                    "arm": name,
                    "time": curve.index.to_numpy(dtype=float),
                    "survival": curve.to_numpy(dtype=float),
                    "at_risk": table["at_risk"].reindex(curve.index).to_numpy(),
                    "events": table["observed"].reindex(curve.index).to_numpy(),
                    "median": float(fit.median_survival_time_),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"at_risk": "Int64", "events": "Int64"})


def cox_by_arm(
    data: pd.DataFrame,
    *,
    arm: str = "arm",
    control: str | None = None,
    duration: str = "duration",
    event: str = "event",
    cluster: str | None = "user_id",
    covariates: Sequence[str] = (),
) -> pd.DataFrame:
    """Cox proportional hazards of fixing, each arm against `control`, cluster-robust.

    Parameters
    ----------
    arm, control : str
        The arm column and its reference level (default: the first arm in order).
    cluster : str or None
        Streaks of one student are not independent: the sandwich variance summed over
        these clusters (Lin & Wei 1989). None: the model-based variance.
    covariates : sequence of str
        Numeric columns to adjust for.

    Returns
    -------
    DataFrame
        One row per term: ``term``, ``coef`` (log hazard ratio; > 0 means fixed sooner),
        ``hazard_ratio``, ``se`` (robust when `cluster`), ``ci_low``, ``ci_high`` (95 %,
        of the hazard ratio), ``p``. Ties: Efron's method (lifelines).
    """
    levels = (
        list(data[arm].cat.categories)
        if isinstance(data[arm].dtype, pd.CategoricalDtype)
        else sorted(data[arm].dropna().unique())
    )
    reference = control if control is not None else levels[0]
    design = data[[duration, event, *covariates]].astype(float)
    for level in levels:
        if level != reference:
            design[f"{arm}[{level}]"] = (data[arm] == level).astype(float).to_numpy()
    if cluster is not None:
        design[cluster] = data[cluster].to_numpy()
    fit = CoxPHFitter().fit(
        design, duration_col=duration, event_col=event, cluster_col=cluster, robust=False
    )
    summary = fit.summary
    return pd.DataFrame(
        {
            "term": summary.index.astype(str),
            "coef": summary["coef"].to_numpy(),
            "hazard_ratio": np.exp(summary["coef"].to_numpy()),
            "se": summary["se(coef)"].to_numpy(),
            "ci_low": summary["exp(coef) lower 95%"].to_numpy(),
            "ci_high": summary["exp(coef) upper 95%"].to_numpy(),
            "p": summary["p"].to_numpy(),
        }
    )
