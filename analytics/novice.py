"""The novice-programming measures of the literature, computed from cell runs and tutor requests.

A notebook cell run plays the part of a compilation in the original papers: it ends in
success or in an error with a type (``error_type``: ``NameError``, ``SyntaxError`` ...).
Every function takes the frames of ``analytics.load`` (events with ``event_type``
``cell.executed``, ``success`` and ``error_type``; interactions with ``created_at`` and
``classification``), never modifies them, and returns a new DataFrame. Runs are prepared
once, the same way for every measure (``analytics.novice_runs``: the tutor's own cells and
interrupted runs left out, activity sessions, pairs within one cell); where a definition
had to be adapted to notebooks or to an LLM tutor, the docstring says how, and
docs/analytics.md tabulates every definition, its source and our deviations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.novice_help import activity_sessions, help_abuse, help_avoidance, time_on_task
from analytics.novice_runs import (
    SESSION,
    MeasureInputError,
    failing_streaks,
    group_ends,
    group_starts,
    prepare_runs,
)

__all__ = [
    "EQ_WEIGHTS",
    "MeasureInputError",
    "activity_sessions",
    "error_quotient",
    "error_strings",
    "help_abuse",
    "help_avoidance",
    "repeated_error_density",
    "time_on_task",
    "time_to_fix",
    "watwin",
]

SESSION_GAP = "30min"
# Error Quotient pair weights: (both failed, same error type, same line, divisor).
EQ_WEIGHTS = {
    # The community's reference implementation (ProgSnap2 analyses, CSEDM data challenge):
    # the published scale, comparable with published values.
    "progsnap2": (8, 3, 0, 11),
    # Jadud's (2006) terms with his line term and without the edit-location term notebooks
    # cannot record: 2 + 3 + 3 over 8. Values are NOT comparable with published EQs.
    "jadud-line": (2, 3, 3, 8),
}


def _student_mean(frame: pd.DataFrame, user: str, value: str, name: str) -> pd.DataFrame:
    """Per student: the mean of the session values and the sessions and pairs behind it."""
    g = frame.groupby(user, observed=True)
    out = pd.DataFrame(
        {name: g[value].mean(), "sessions": g.size(), "pairs": g["pairs"].sum()}
    ).reset_index()
    return out.astype({name: "Float64", "sessions": "Int64", "pairs": "Int64"})


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Equal and both known."""
    return (a.notna() & b.notna() & a.astype(object).eq(b.astype(object))).astype(bool)


def error_quotient(
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "occurred_at",
    session: str | None = "activity",
    gap: str | pd.Timedelta = SESSION_GAP,
    by: Sequence[str] = ("cell_id",),
    compile_only: bool = False,
    weights: str = "progsnap2",
) -> pd.DataFrame:
    """Error Quotient: how much a student's consecutive runs repeat the same error.

    Parameters
    ----------
    events : DataFrame
        ``load_events`` output; only ``cell.executed`` rows are used.
    user, time : str
        Column names.
    session : str or None
        ``"activity"`` (inactivity sessions, cut at `gap`), a session column such as
        ``"session_id"`` (missing values fall back to activity sessions) or None (the
        whole trace is one session). See ``analytics.novice_runs``.
    by : sequence of str
        Keys a pair must share: the cell by default; ``()`` pairs across cells.
    compile_only : bool
        Only syntax errors count as errors (the compiler-error data EQ was defined on).
    weights : str
        ``"progsnap2"`` (the default: published scale) or ``"jadud-line"`` (see Notes).

    Returns
    -------
    DataFrame
        ``user``, ``error_quotient`` (Float64 in [0, 1]: the mean of the student's session
        EQs), ``sessions`` (Int64, sessions with at least one pair) and ``pairs`` (Int64).

    Notes
    -----
    Jadud (2006), "Methods and tools for exploring novice compilation behaviour", ICER,
    as the community's reference implementations compute it (the ProgSnap2 analysis
    scripts of the CSEDM data challenge): consecutive runs (e1, e2) of one segment form a
    pair; a pair scores 8 when both ended in an error and 3 more when the errors have
    the same type; the score is divided by 11. A session's EQ is the mean over its pairs,
    a student's EQ the mean of their sessions' EQs. ``weights="jadud-line"`` keeps this
    package's earlier variant: 2 for two errors, 3 for the same type, 3 for the same line
    (``error_line``, when both are known), divided by 8 (Jadud's edit-location term is
    not recorded); its values are not comparable with published ones.
    """
    if weights not in EQ_WEIGHTS:
        raise MeasureInputError(f"weights must be one of {', '.join(EQ_WEIGHTS)}")
    both_w, type_w, line_w, divisor = EQ_WEIGHTS[weights]
    runs, _ = prepare_runs(
        events, user=user, time=time, session=session, gap=gap, by=by, compile_only=compile_only
    )
    pairs = runs[runs["has_next"]]
    both = pairs["failed"] & pairs["next_failed"]
    same_type = both & _same(pairs["error_type"], pairs["next_error_type"])
    score = both * both_w + same_type * type_w
    if line_w and "error_line" in pairs.columns:
        score = score + (same_type & _same(pairs["error_line"], pairs["next_error_line"])) * line_w
    keys = [user, SESSION] if session is not None else [user]
    scored = pairs[keys].assign(score=(score / divisor).astype("float64"))
    per_session = (
        scored.groupby(keys, observed=True, dropna=False)["score"]
        .agg(["mean", "size"])
        .reset_index()
        .rename(columns={"mean": "eq", "size": "pairs"})
    )
    return _student_mean(per_session, user, "eq", "error_quotient")


def _error_strings(runs: pd.DataFrame, keys: list[str], user: str, time: str) -> pd.DataFrame:
    """Becker's strings in prepared `runs`: see `error_strings`."""
    failed = runs["failed"]
    error = runs["error_type"]
    new_string = group_starts(runs, keys) | error.ne(error.shift()) | ~failed
    frame = pd.DataFrame(
        {
            user: runs[user],
            "string": new_string.cumsum(),
            "error_type": error,
            "last_at": runs[time],
            "current": group_ends(runs, keys),
        }
    )[failed]
    g = frame.groupby("string", sort=True)
    out = pd.DataFrame(
        {
            user: g[user].first(),
            "error_type": g["error_type"].first(),
            "runs": g.size(),
            "last_at": g["last_at"].max(),
            "current": g["current"].any(),
        }
    ).reset_index()
    out = out[[user, "string", "error_type", "runs", "last_at", "current"]]
    return out.astype({"runs": "Int64", "current": "boolean"})


def error_strings(
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "occurred_at",
    session: str | None = "activity",
    gap: str | pd.Timedelta = SESSION_GAP,
    by: Sequence[str] = ("cell_id",),
    compile_only: bool = False,
) -> pd.DataFrame:
    """Strings of identical errors, one row each: what repeated error measures count.

    Returns
    -------
    DataFrame
        ``user``, ``string`` (an id), ``error_type``, ``runs`` (Int64, failing runs in
        the string), ``last_at`` (its last run) and ``current`` (boolean: the string
        holds the latest run of its segment, i.e. the student is still in it).

    Notes
    -----
    Becker (2016): a string is a maximal sequence of consecutive failing runs of one
    segment (session and cell, see ``analytics.novice_runs``) with the same error type;
    a success or another error type ends it. `repeated_error_density` weighs these
    strings; the staff console's live view (``analytics.live``) reads the current one.
    """
    runs, keys = prepare_runs(
        events, user=user, time=time, session=session, gap=gap, by=by, compile_only=compile_only
    )
    return _error_strings(runs, keys, user, time)


def repeated_error_density(
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "occurred_at",
    session: str | None = "activity",
    gap: str | pd.Timedelta = SESSION_GAP,
    by: Sequence[str] = ("cell_id",),
    compile_only: bool = False,
) -> pd.DataFrame:
    """Repeated Error Density: repeated errors, weighted towards long strings of them.

    Returns
    -------
    DataFrame
        ``user``, ``red`` (Float64, the sum over the student's strings) and ``strings``
        (Int64, strings of two or more identical errors).

    Notes
    -----
    Becker (2016), "A new metric to quantify repeated compiler errors for novice
    programmers", ITiCSE. A string of n identical consecutive errors has r = n - 1
    repetitions and adds r² / (r + 1); a single error adds 0. Strings are those of
    `error_strings` (within one session and one cell by default).
    """
    runs, keys = prepare_runs(
        events, user=user, time=time, session=session, gap=gap, by=by, compile_only=compile_only
    )
    strings = _error_strings(runs, keys, user, time)
    r = (strings["runs"] - 1).astype("float64")
    strings["red"] = (r**2) / (r + 1)
    strings["repeated"] = r > 0
    g = strings.groupby(user, observed=True)
    out = pd.DataFrame({"red": g["red"].sum(), "strings": g["repeated"].sum()}).reset_index()
    students = pd.DataFrame({user: runs[user].drop_duplicates().to_numpy()})
    out = students.merge(out, on=user, how="left").fillna({"red": 0.0, "strings": 0})
    return out.astype({"red": "Float64", "strings": "Int64"})


def _code_lines(code: object) -> list[str]:
    return [ln.strip() for ln in str(code or "").splitlines() if ln.strip()]


def deleted_or_commented_fix(before: object, after: object) -> bool:
    """True when `after` only removes or comments out lines of `before` (Watson's
    preparation: such a "fix" makes the error disappear without resolving it)."""
    old = [ln for ln in _code_lines(before) if not ln.startswith("#")]
    new = [ln for ln in _code_lines(after) if not ln.startswith("#")]
    if len(new) >= len(old):
        return False
    remaining = iter(old)
    return all(any(line == candidate for candidate in remaining) for line in new)


def watwin(
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "occurred_at",
    session: str | None = "activity",
    gap: str | pd.Timedelta = SESSION_GAP,
    by: Sequence[str] = ("cell_id",),
    compile_only: bool = False,
) -> pd.DataFrame:
    """Watwin score: repeated errors plus how slowly each error is resolved, against peers.

    Requires ``error_message`` (or ``error_first_line``) and ``code``: load the events
    with ``include_text=True``. Without them the score cannot be computed as published.

    Returns
    -------
    DataFrame
        ``user``, ``watwin`` (Float64 in [0, 1]: the mean pair score over the student's
        kept pairs) and ``pairs`` (Int64, kept pairs).

    Notes
    -----
    Watson, Li & Godwin (2013), "Predicting performance in an introductory programming
    course by logging and analyzing student programming behavior", ICALT. Preparation:
    pairs are consecutive runs of the same file (here: the same cell, in one session);
    pairs whose code did not change are pruned; a failing run "fixed" by deleting or
    commenting out code is dropped (`deleted_or_commented_fix`). Scoring, for each pair
    whose first run failed: when the second failed too, 4 for the same message (the
    message's first line), 4 for the same error type and 2 for the same line
    (``error_line``); then a time term from the seconds between the runs against the
    mean and (population) SD of all students' pairs with that error type: 25 above
    mean + SD, 1 below mean - SD, 15 otherwise. A pair whose first run succeeded scores
    0. The pair score is divided by 35 and the student's score is the mean over their
    kept pairs. Messages are compared as recorded, not generalised (Watson replaced
    identifiers in Java messages).
    """
    has_message = "error_first_line" in events.columns or "error_message" in events.columns
    if not has_message or "code" not in events.columns:
        raise MeasureInputError(
            "watwin compares error messages and code: load the events with include_text=True"
        )
    runs, _ = prepare_runs(
        events, user=user, time=time, session=session, gap=gap, by=by, compile_only=compile_only
    )
    pairs = runs[runs["has_next"]].copy()
    pairs = pairs[~_same(pairs["code"], pairs["next_code"])]  # pair pruning
    fake_fix = [
        bool(f) and not bool(nf) and deleted_or_commented_fix(c, nc)
        for f, nf, c, nc in zip(
            pairs["failed"], pairs["next_failed"], pairs["code"], pairs["next_code"], strict=True
        )
    ]
    pairs = pairs[~np.array(fake_fix, dtype=bool)]
    message = _first_lines(pairs, "")
    next_message = _first_lines(pairs, "next_")
    first = pairs["failed"]
    both = first & pairs["next_failed"]
    same_type = both & _same(pairs["error_type"], pairs["next_error_type"])
    score = (both & _same(message, next_message)) * 4 + same_type * 4
    if "error_line" in pairs.columns:
        score = score + (both & _same(pairs["error_line"], pairs["next_error_line"])) * 2
    seconds = (pairs[f"next_{time}"] - pairs[time]).dt.total_seconds()
    kind = pairs["error_type"].where(first)
    stats = (
        seconds[first].groupby(kind[first], observed=True).agg(["mean", lambda s: s.std(ddof=0)])
    )
    stats.columns = ["mean", "sd"]
    mean = kind.map(stats["mean"]).astype("float64")
    sd = kind.map(stats["sd"]).astype("float64").fillna(0.0)
    time_term = np.where(seconds > mean + sd, 25, np.where(seconds < mean - sd, 1, 15))
    score = score + np.where(first, time_term, 0)
    frame = pd.DataFrame({user: pairs[user].to_numpy(), "score": (score / 35).to_numpy()})
    g = frame.groupby(user, observed=True)["score"]
    out = pd.DataFrame({"watwin": g.mean(), "pairs": g.size()}).reset_index()
    return out.astype({"watwin": "Float64", "pairs": "Int64"})


def _first_lines(pairs: pd.DataFrame, prefix: str) -> pd.Series:
    """Each run's message's first line: recorded as such, else cut from error_message."""
    out = pd.Series(None, index=pairs.index, dtype=object)
    if f"{prefix}error_first_line" in pairs.columns:
        out = pairs[f"{prefix}error_first_line"].astype(object)
    if f"{prefix}error_message" in pairs.columns:
        cut = pairs[f"{prefix}error_message"].map(
            lambda m: str(m).strip().splitlines()[0] if isinstance(m, str) and m.strip() else None
        )
        out = out.where(out.notna(), cut)
    return out


def time_to_fix(
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "occurred_at",
    session: str | None = "activity",
    gap: str | pd.Timedelta = SESSION_GAP,
    by: Sequence[str] = ("cell_id",),
    compile_only: bool = False,
) -> pd.DataFrame:
    """Time to fix an error: from the first failing run of a streak to the next successful run.

    Returns
    -------
    DataFrame
        One row per error streak: `user`, ``session`` (when `session` is not None), the
        `by` columns, ``failed_at`` (its first failing run), ``fixed_at`` (the next
        successful run of the segment; NaT when none followed), ``runs`` (Int64, failing
        runs in the streak), ``seconds`` (Float64, NA when unresolved) and ``resolved``.

    Notes
    -----
    A streak is a maximal run of consecutive failing runs of one segment (by default one
    cell in one activity session, so a fix after a night's break, or in another cell, is
    not counted as a fix); it is resolved by the segment's next successful run: the
    notebook analogue of the time between a failing and a successful compilation used
    with Jadud (2006) and Watson, Li & Godwin (2013). Unresolved streaks are kept (with
    ``resolved`` False) so the resolved share can be reported beside the times.
    """
    runs, keys = prepare_runs(
        events, user=user, time=time, session=session, gap=gap, by=by, compile_only=compile_only
    )
    failed = runs["failed"]
    last_failure = failed & ~(runs["has_next"] & runs["next_failed"])
    # the run after a streak's last failing run is, by maximality, the fixing success
    fixed = runs[f"next_{time}"].where(last_failure)
    frame = runs.assign(_streak=failing_streaks(runs, keys, failed), _fixed=fixed)[failed]
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
    if out.empty:
        out = pd.DataFrame(columns=[*keys, "failed_at", "fixed_at", "runs"])
    out["fixed_at"] = pd.to_datetime(out["fixed_at"], utc=True)
    out["failed_at"] = pd.to_datetime(out["failed_at"], utc=True)
    out["seconds"] = (out["fixed_at"] - out["failed_at"]).dt.total_seconds().astype("Float64")
    out["resolved"] = out["fixed_at"].notna().astype("boolean")
    out = out.astype({"runs": "Int64"})
    return out[[*keys, "failed_at", "fixed_at", "runs", "seconds", "resolved"]]
