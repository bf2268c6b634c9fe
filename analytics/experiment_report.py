"""Comparing experiment arms: per-arm outcomes, effect sizes and cluster-bootstrap intervals.

Students, not answers or runs, are what an experiment assigns to arms, and one student's
answers are not independent of each other. So every interval here comes from a cluster
bootstrap: each resample draws the students of each arm with replacement (keeping the
arm's size) and takes all their rows along. Functions take a long-format frame (one row
per observation, with the student and the arm) and return a new frame; the input is
never modified, and the same seed gives the same intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.novice import CELL_EXECUTED, _failed

KINDS = ("proportion", "mean", "median")
EFFECTS = {"proportion": "cohens_h", "mean": "cohens_d", "median": "cliffs_delta"}
RESAMPLES = 2000
_CHUNK = 200  # resamples evaluated at once: bounds memory at CHUNK x observations


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


def time_to_fix(
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "occurred_at",
    by: Sequence[str] = ("session_id",),
) -> pd.DataFrame:
    """Time to fix an error: from the first failing run of a streak to the next successful run.

    Parameters
    ----------
    events : DataFrame
        ``load_events`` output; only ``cell.executed`` rows are used.
    user, time : str
        Column names.
    by : sequence of str
        Keys a streak may not cross (default: the session, so a fix after a night's
        break is not counted as hours of work).

    Returns
    -------
    DataFrame
        One row per error streak: `user`, `by` columns, ``failed_at`` (its first failing
        run), ``fixed_at`` (the next successful run; NaT when none followed within the
        `by` group), ``runs`` (Int64, failing runs in the streak), ``seconds`` (Float64,
        NA when unresolved) and ``resolved`` (boolean).

    Notes
    -----
    A streak is a maximal run of consecutive failing cell runs; it is resolved by the next
    successful run. Any success counts, so a student who gives up on one cell and runs
    another successfully is counted as fixed: the measure is "back to working code", the
    notebook analogue of the time between a failing and a successful compilation used
    with Jadud (2006) and Watson, Li & Godwin (2013). Unresolved streaks are kept (with
    ``resolved`` False) so the resolved share can be reported beside the times.
    """
    keys = [user, *by]
    runs = events.loc[events["event_type"] == CELL_EXECUTED, [*keys, time, "success"]]
    runs = runs.sort_values([*keys, time], kind="stable").reset_index(drop=True)
    failed = _failed(runs["success"])
    new_group = runs[keys].ne(runs[keys].shift()).any(axis=1)
    prev_failed = failed.shift(fill_value=False) & ~new_group
    next_t = runs.groupby(keys, observed=True, dropna=False)[time].shift(-1)
    next_failed = failed.shift(-1, fill_value=False) & next_t.notna()
    # the run after a streak's last failing run is, by maximality, the fixing success
    fixed = next_t.where(failed & ~next_failed)
    frame = runs.assign(_streak=(failed & ~prev_failed).cumsum(), _fixed=fixed)[failed]
    out = (
        frame.groupby("_streak", observed=True)
        .agg(
            **{k: (k, "first") for k in keys},
            failed_at=(time, "min"),
            fixed_at=("_fixed", "max"),
            runs=(time, "size"),
        )
        .reset_index(drop=True)
    )
    out["seconds"] = (out["fixed_at"] - out["failed_at"]).dt.total_seconds().astype("Float64")
    out["resolved"] = out["fixed_at"].notna().astype("boolean")
    out = out.astype({"runs": "Int64"})
    return out[[*keys, "failed_at", "fixed_at", "runs", "seconds", "resolved"]]


# --- effect sizes -------------------------------------------------------------------------


def cohens_h(p1: float | np.ndarray, p2: float | np.ndarray) -> float | np.ndarray:
    """Cohen's h between two proportions: 2·asin(√p1) − 2·asin(√p2).

    Cohen (1988), *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed., §6.2:
    0.2 small, 0.5 medium, 0.8 large.
    """
    return 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2))


def cohens_d(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Cohen's d: the difference in means over the pooled standard deviation.

    Cohen (1988), §2.2; s² pooled = ((n1 − 1)s1² + (n2 − 1)s2²) / (n1 + n2 − 2).
    """
    a, b = np.asarray(x, float), np.asarray(y, float)
    return float(_d(a.sum(), (a**2).sum(), len(a), b.sum(), (b**2).sum(), len(b)))


def cliffs_delta(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Cliff's delta: P(X > Y) − P(X < Y) over all pairs, in [−1, 1].

    Cliff (1993), "Dominance statistics: ordinal analyses to answer ordinal questions",
    Psychological Bulletin 114(3). Romano et al. (2006) suggest 0.147 / 0.33 / 0.474 as
    small / medium / large.
    """
    a, b = np.asarray(x, float), np.asarray(y, float)
    return float(np.sign(a[:, None] - b[None, :]).mean())


Numbers = float | np.ndarray


def _d(s1: Numbers, q1: Numbers, n1: Numbers, s2: Numbers, q2: Numbers, n2: Numbers) -> Numbers:
    """Cohen's d from sums, sums of squares and counts (scalars or arrays of resamples)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        m1, m2 = s1 / n1, s2 / n2
        ss = (q1 - n1 * m1**2) + (q2 - n2 * m2**2)
        pooled = np.sqrt(ss / (n1 + n2 - 2))
        return (m1 - m2) / pooled


def bonferroni(level: float, comparisons: int) -> float:
    """The per-comparison confidence level that keeps `level` for a family of comparisons.

    Bonferroni: each of m intervals at 1 − (1 − level)/m, so all m hold together with
    probability at least `level` (Dunn 1961, "Multiple comparisons among means", JASA).
    """
    return 1 - (1 - level) / max(int(comparisons), 1)


# --- the cluster bootstrap ----------------------------------------------------------------


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
        d = _d(
            wa @ a.values, wa @ a.values**2, wa.sum(1), wb @ b.values, wb @ b.values**2, wb.sum(1)
        )
        return ea - eb, d
    # Cliff's delta with weights: sum_i wa_i (Wb(y < x_i) - Wb(y > x_i)) / (sum wa sum wb)
    cum = np.concatenate([np.zeros((wb.shape[0], 1)), np.cumsum(wb, axis=1)], axis=1)
    below = cum[:, np.searchsorted(b.values, a.values, side="left")]
    above = cum[:, -1:] - cum[:, np.searchsorted(b.values, a.values, side="right")]
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = (wa * (below - above)).sum(axis=1) / (wa.sum(axis=1) * cum[:, -1])
    return ea - eb, delta


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
