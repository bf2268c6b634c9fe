"""The cluster bootstrap: per-arm outcomes and arm differences with intervals.

Students, not answers or runs, are what an experiment assigns to arms, and one student's
answers are not independent of each other. So every interval here comes from a cluster
bootstrap: each resample draws the students of each arm with replacement (keeping the
arm's size) and takes all their rows along. Functions take a long-format frame (one row
per observation, with the student and the arm) and return a new frame; the input is
never modified, and the same seed gives the same intervals. The effect sizes are those
of ``analytics.effsize``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.effsize import Numbers, cliffs_delta_weighted, cohens_d_weighted, cohens_h

KINDS = ("proportion", "mean", "median")
EFFECTS = {"proportion": "cohens_h", "mean": "cohens_d", "median": "cliffs_delta"}
RESAMPLES = 2000
_CHUNK = 200  # resamples evaluated at once: bounds memory at CHUNK x observations


@dataclass
class _Arm:
    """One arm's observations in sorted order, with each observation's student index."""

    name: str
    values: np.ndarray  # float (proportion: successes per row)
    trials: np.ndarray  # float (1 per row unless counts were given)
    student: np.ndarray  # int index into this arm's students
    students: int
    weights: np.ndarray  # resamples x students: how often each student was drawn

    def obs_weights(self, rows: slice) -> np.ndarray:
        return self.weights[rows][:, self.student]


def _arms(
    frame: pd.DataFrame,
    *,
    value: str,
    trials: str | None,
    arm: str,
    user: str,
    resamples: int,
    seed: int,
) -> list[_Arm]:
    """Split `frame` by arm and draw every arm's student weights from one seeded stream."""
    if value not in frame.columns or arm not in frame.columns or user not in frame.columns:
        raise ValueError(f"the frame needs columns {user!r}, {arm!r} and {value!r}")
    columns = [user, arm, value] + ([trials] if trials else [])
    data = frame[columns].dropna()
    if trials:
        data = data[data[trials].astype(float) > 0]
    if isinstance(frame[arm].dtype, pd.CategoricalDtype):
        names = list(frame[arm].cat.categories)
    else:
        names = sorted(data[arm].unique())
    rng = np.random.default_rng(seed)
    out = []
    for name in names:
        part = data[data[arm] == name]
        values = part[value].astype(float).to_numpy()
        order = np.argsort(values, kind="stable")
        codes, uniques = pd.factorize(part[user].to_numpy()[order])
        k = len(uniques)
        weights = rng.multinomial(k, np.full(k, 1 / k), size=resamples) if k else None
        out.append(
            _Arm(
                name=str(name),
                values=values[order],
                trials=(
                    part[trials].astype(float).to_numpy()[order] if trials else np.ones(len(part))
                ),
                student=codes,
                students=k,
                weights=np.zeros((resamples, 0)) if weights is None else weights.astype(float),
            )
        )
    return out


def _estimate(a: _Arm, kind: str, w: np.ndarray | None) -> np.ndarray:
    """The arm's statistic for each row of observation weights `w` (None: the sample)."""
    w = np.ones((1, len(a.values))) if w is None else w
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "proportion":
            return (w @ a.values) / (w @ a.trials)
        if kind == "mean":
            return (w @ a.values) / w.sum(axis=1)
    return _weighted_median(a.values, w)


def _weighted_median(sorted_values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The median of `sorted_values` repeated by integer weights, per row of `w`."""
    if sorted_values.size == 0:
        return np.full(w.shape[0], np.nan)
    cum = np.cumsum(w, axis=1)
    total = cum[:, -1]
    lo = np.floor((total - 1) / 2)
    hi = np.ceil((total - 1) / 2)
    at_lo = (cum > lo[:, None]).argmax(axis=1)
    at_hi = (cum > hi[:, None]).argmax(axis=1)
    out = (sorted_values[at_lo] + sorted_values[at_hi]) / 2
    return np.where(total > 0, out, np.nan)


def _effect(
    a: _Arm, b: _Arm, kind: str, wa: np.ndarray | None, wb: np.ndarray | None
) -> tuple[Numbers, Numbers]:
    """(difference of the statistic, effect size) of arm `a` against arm `b`, per row."""
    ea, eb = _estimate(a, kind, wa), _estimate(b, kind, wb)
    if kind == "proportion":
        return ea - eb, cohens_h(np.clip(ea, 0, 1), np.clip(eb, 0, 1))
    wa = np.ones((1, len(a.values))) if wa is None else wa
    wb = np.ones((1, len(b.values))) if wb is None else wb
    if kind == "mean":
        return ea - eb, cohens_d_weighted(a.values, wa, b.values, wb)
    return ea - eb, cliffs_delta_weighted(a.values, wa, b.values, wb)


def _chunks(resamples: int) -> list[slice]:
    return [slice(i, min(i + _CHUNK, resamples)) for i in range(0, resamples, _CHUNK)]


def _interval(draws: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval (Efron & Tibshirani 1993, ch. 13) of the finite draws."""
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return np.nan, np.nan
    alpha = (1 - level) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    return float(low), float(high)


def _check(kind: str, trials: str | None, resamples: int, level: float) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if trials is not None and kind != "proportion":
        raise ValueError("trials only make sense for kind='proportion'")
    if resamples < 1 or not 0 < level < 1:
        raise ValueError("resamples must be positive and level within (0, 1)")


def summarise_arms(
    frame: pd.DataFrame,
    *,
    value: str,
    kind: str = "proportion",
    trials: str | None = None,
    arm: str = "arm",
    user: str = "user_id",
    resamples: int = RESAMPLES,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Each arm's outcome with a cluster-bootstrap confidence interval.

    Parameters
    ----------
    frame : DataFrame
        One row per observation (an answer, an error streak, a student) with `user`,
        `arm` and `value`. Rows with a missing value are left out.
    value : str
        The outcome: a boolean (or 0/1) for ``kind="proportion"``, else a number. With
        `trials`, `value` is a count of successes out of `trials` on that row (e.g. a
        student's abusive requests out of their requests).
    kind : {"proportion", "mean", "median"}
        The statistic. A proportion is pooled over observations (a ratio estimator:
        students with more observations weigh more), so are the mean and the median.
    trials : str, optional
        Column of trial counts (rows with 0 trials are left out).
    arm, user : str
        Column names; a categorical `arm` keeps its categories' order (and empty arms).
    resamples, level, seed : int, float, int
        Bootstrap resamples, confidence level, random seed.

    Returns
    -------
    DataFrame
        One row per arm: `arm`, ``students`` (Int64, with at least one observation),
        ``n`` (Int64, observations; trials when given), ``estimate``, ``ci_low``,
        ``ci_high`` (Float64) and ``level``.

    Notes
    -----
    Cluster (case) bootstrap, resampling students within each arm: Davison & Hinkley
    (1997), *Bootstrap Methods and their Application*, §3.8; Field & Welsh (2007),
    "Bootstrapping clustered data", JRSS B 69(3). Intervals are percentile intervals.
    """
    _check(kind, trials, resamples, level)
    arms = _arms(
        frame, value=value, trials=trials, arm=arm, user=user, resamples=resamples, seed=seed
    )
    rows = []
    for a in arms:
        draws = np.concatenate([_estimate(a, kind, a.obs_weights(c)) for c in _chunks(resamples)])
        low, high = _interval(draws, level)
        estimate = _estimate(a, kind, None)[0] if a.students else np.nan
        rows.append((a.name, a.students, int(a.trials.sum()), estimate, low, high, level))
    columns = [arm, "students", "n", "estimate", "ci_low", "ci_high", "level"]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype(
        {
            "students": "Int64",
            "n": "Int64",
            "estimate": "Float64",
            "ci_low": "Float64",
            "ci_high": "Float64",
        }
    )


def compare_arms(
    frame: pd.DataFrame,
    *,
    value: str,
    kind: str = "proportion",
    trials: str | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
    arm: str = "arm",
    user: str = "user_id",
    resamples: int = RESAMPLES,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Differences between arms with an effect size, each with a cluster-bootstrap interval.

    Parameters
    ----------
    frame, value, kind, trials, arm, user, resamples, level, seed
        As in `summarise_arms` (the same seed draws the same resamples).
    pairs : sequence of (arm, reference), optional
        The comparisons; default: every other arm against the first arm.

    Returns
    -------
    DataFrame
        One row per pair: `arm`, ``reference``, ``students``, ``students_ref``, ``n``,
        ``n_ref`` (Int64), ``estimate``, ``estimate_ref``, ``difference`` (arm minus
        reference), ``ci_low``, ``ci_high`` (its interval), ``effect`` (the effect size's
        name), ``effect_size``, ``effect_ci_low``, ``effect_ci_high`` (Float64) and
        ``level``.

    Notes
    -----
    Effect sizes: for proportions the difference and Cohen's h; for means the difference
    and Cohen's d (observation-level pooled SD); for medians the difference and Cliff's
    delta (P(arm > reference) − P(arm < reference)). Both arms are resampled by student,
    independently (the arms hold different students), so the interval reflects that a
    student's observations move together; an answer-level bootstrap would be too narrow.
    Intervals are percentile intervals at `level` each: for a family of comparisons pass
    ``bonferroni(level, m)``.
    """
    _check(kind, trials, resamples, level)
    arms = {
        a.name: a
        for a in _arms(
            frame, value=value, trials=trials, arm=arm, user=user, resamples=resamples, seed=seed
        )
    }
    names = list(arms)
    if pairs is None:
        pairs = [(name, names[0]) for name in names[1:]]
    rows = []
    for name, ref in pairs:
        if name not in arms or ref not in arms:
            raise ValueError(f"no arm named {name if name not in arms else ref!r}")
        a, b = arms[name], arms[ref]
        diff, effect = _effect(a, b, kind, None, None)
        diffs, effects = [], []
        if a.students and b.students:
            for c in _chunks(resamples):
                d, e = _effect(a, b, kind, a.obs_weights(c), b.obs_weights(c))
                diffs.append(d)
                effects.append(e)
        diffs_all = np.concatenate(diffs) if diffs else np.array([])
        effects_all = np.concatenate(effects) if effects else np.array([])
        low, high = _interval(diffs_all, level)
        e_low, e_high = _interval(effects_all, level)
        empty = not (a.students and b.students)
        rows.append(
            (
                name,
                ref,
                a.students,
                b.students,
                int(a.trials.sum()),
                int(b.trials.sum()),
                _estimate(a, kind, None)[0] if a.students else np.nan,
                _estimate(b, kind, None)[0] if b.students else np.nan,
                np.nan if empty else float(np.asarray(diff)[0]),
                low,
                high,
                EFFECTS[kind],
                np.nan if empty else float(np.asarray(effect)[0]),
                e_low,
                e_high,
                level,
            )
        )
    columns = [
        arm,
        "reference",
        "students",
        "students_ref",
        "n",
        "n_ref",
        "estimate",
        "estimate_ref",
        "difference",
        "ci_low",
        "ci_high",
        "effect",
        "effect_size",
        "effect_ci_low",
        "effect_ci_high",
        "level",
    ]
    out = pd.DataFrame(rows, columns=columns)
    floats = [
        "estimate",
        "estimate_ref",
        "difference",
        "ci_low",
        "ci_high",
        "effect_size",
        "effect_ci_low",
        "effect_ci_high",
    ]
    ints = ["students", "students_ref", "n", "n_ref"]
    return out.astype({**dict.fromkeys(floats, "Float64"), **dict.fromkeys(ints, "Int64")})
