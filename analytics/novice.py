"""The novice-programming measures of the literature, computed from cell runs and tutor requests.

A notebook cell run plays the part of a compilation in the original papers: it ends in
success or in an error with a type (``error_type``: ``NameError``, ``SyntaxError`` ...).
Every function takes the frames of ``analytics.load`` (events with ``event_type``
``cell.executed``, ``success`` and ``error_type``; interactions with ``created_at`` and
``classification``), never modifies them, and returns a new DataFrame with one row per
student (or per session). Where a definition had to be adapted to notebooks or to an LLM
tutor, the docstring says how.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ainative.course.event_types import CELL_EXECUTED

SOLUTION_REQUEST = "solution-request"


def _runs(events: pd.DataFrame, user: str, time: str, by: list[str]) -> pd.DataFrame:
    """Cell runs in time order per student (and per `by` keys), with the next run beside."""
    runs = events[events["event_type"] == CELL_EXECUTED]
    keys = [user, *by]
    columns = [*keys, time, "success", "error_type"]
    extra = [c for c in ("error_line", "error_message") if c in runs.columns]
    runs = runs[columns + extra].sort_values([*keys, time], kind="stable").reset_index(drop=True)
    nxt = runs.groupby(keys, observed=True, dropna=False).shift(-1)
    for column in [time, "success", "error_type", *extra]:
        runs[f"next_{column}"] = nxt[column]
    runs["has_next"] = nxt[time].notna()
    return runs


def _failed(success: pd.Series) -> pd.Series:
    return success.eq(False).fillna(False).astype(bool)


def _group_starts(runs: pd.DataFrame, keys: list[str]) -> pd.Series:
    """True on each row whose `keys` differ from the row before (rows sorted by them)."""
    return runs[keys].ne(runs[keys].shift()).any(axis=1)


def _failing_streaks(runs: pd.DataFrame, keys: list[str], failed: pd.Series) -> pd.Series:
    """A number per failing run, shared by a streak: consecutive failing runs of one group.

    `runs` are sorted by `keys` and time; a success or a new group ends a streak. Only the
    values on failing rows mean anything (group on them after selecting ``runs[failed]``).
    """
    prev_failed = failed.shift(fill_value=False) & ~_group_starts(runs, keys)
    return (failed & ~prev_failed).cumsum()


def _per_student(values: pd.Series, users: pd.Series, name: str, user: str) -> pd.DataFrame:
    frame = pd.DataFrame({user: users.to_numpy(), name: values.to_numpy(dtype="float64")})
    g = frame.groupby(user, observed=True)[name]
    out = pd.DataFrame({name: g.mean(), "pairs": g.size()}).reset_index()
    return out.astype({name: "Float64", "pairs": "Int64"})


def error_quotient(
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "occurred_at",
    by: tuple[str, ...] = ("session_id",),
) -> pd.DataFrame:
    """Error Quotient: how much a student's consecutive runs repeat the same error.

    Parameters
    ----------
    events : DataFrame
        ``load_events`` output; only ``cell.executed`` rows are used.
    user, time : str
        Column names.
    by : tuple of str
        Extra keys that pairs must share (default: the session; add ``"cell_id"`` when the
        events carry it to pair runs of the same cell only).

    Returns
    -------
    DataFrame
        ``user``, ``error_quotient`` (Float64 in [0, 1]: the mean pair score) and
        ``pairs`` (Int64, the scored pairs).

    Notes
    -----
    Jadud (2006), "Methods and tools for exploring novice compilation behaviour", ICER.
    Consecutive runs (e1, e2) form a pair; a pair scores 2 when both end in an error,
    3 more when the errors have the same type, 3 more when they are on the same line
    (when ``error_line`` is known). Jadud's fourth term (same edit location, 1 point) is
    not recorded by notebooks, so the pair score is divided by 8, not 9; the student's
    EQ is the mean over pairs. 0 = never repeats an error, 1 = always the same error.
    """
    runs = _runs(events, user, time, list(by))
    pairs = runs[runs["has_next"]]
    both = _failed(pairs["success"]) & _failed(pairs["next_success"])
    same_type = both & pairs["error_type"].astype(object).eq(pairs["next_error_type"])
    score = both * 2 + same_type * 3
    if "error_line" in pairs.columns:
        score = score + (same_type & pairs["error_line"].eq(pairs["next_error_line"])) * 3
    return _per_student(score / 8, pairs[user], "error_quotient", user)


def repeated_error_density(
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "occurred_at",
    by: tuple[str, ...] = ("session_id",),
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
    programmers", ITiCSE. A string is a maximal sequence of consecutive failing runs
    with the same error type (a success or another error type ends it); a string of
    n runs has r = n - 1 repetitions and adds r² / (r + 1). A single error adds 0.
    """
    runs = _runs(events, user, time, list(by))
    keys = [user, *by]
    failed = _failed(runs["success"])
    error = runs["error_type"].astype(object).where(failed)
    new_string = _group_starts(runs, keys) | error.ne(error.shift()) | ~failed
    string_id = new_string.cumsum()
    strings = (
        pd.DataFrame({user: runs[user], "string": string_id, "failed": failed})
        .loc[failed]
        .groupby([user, "string"], observed=True)
        .size()
        .rename("n")
        .reset_index()
    )
    r = strings["n"] - 1
    strings["red"] = (r**2) / (r + 1)
    strings["repeated"] = r > 0
    g = strings.groupby(user, observed=True)
    out = pd.DataFrame({"red": g["red"].sum(), "strings": g["repeated"].sum()}).reset_index()
    students = pd.DataFrame({user: runs[user].drop_duplicates().to_numpy()})
    out = students.merge(out, on=user, how="left").fillna({"red": 0.0, "strings": 0})
    return out.astype({"red": "Float64", "strings": "Int64"})


def watwin(
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "occurred_at",
    by: tuple[str, ...] = ("session_id",),
) -> pd.DataFrame:
    """Watwin score: repeated errors plus how slowly each error is resolved, against peers.

    Returns
    -------
    DataFrame
        ``user``, ``watwin`` (Float64 in [0, 1]: the mean pair score) and ``pairs`` (Int64).

    Notes
    -----
    Watson, Li & Godwin (2013), "Predicting performance in an introductory programming
    course by logging and analyzing student programming behavior", ICALT. Every pair of
    consecutive runs whose first run failed is scored: when the second also failed, 4
    for the same error message (``error_message`` when loaded, else the type), 4 for the
    same error type and 2 for the same line (when ``error_line`` is known); then a time
    term from the pair's resolve time (seconds between the runs) against all students'
    resolve times for that error type: 25 when above mean + 1 SD, 1 when below
    mean - 1 SD, 15 otherwise. The pair score is divided by 35; the student's score is
    the mean. Watson's preparation step (dropping pairs whose fix deleted code) needs
    code diffs and is not applied.
    """
    runs = _runs(events, user, time, list(by))
    pairs = runs[runs["has_next"] & _failed(runs["success"])].copy()
    both = _failed(pairs["next_success"])
    kind = pairs["error_type"].astype(object)
    same_type = both & kind.eq(pairs["next_error_type"])
    if "error_message" in pairs.columns:
        same_message = both & pairs["error_message"].eq(pairs["next_error_message"])
    else:
        same_message = same_type
    score = same_message * 4 + same_type * 4
    if "error_line" in pairs.columns:
        score = score + (same_type & pairs["error_line"].eq(pairs["next_error_line"])) * 2
    seconds = (pairs[f"next_{time}"] - pairs[time]).dt.total_seconds()
    stats = seconds.groupby(kind, observed=True).agg(["mean", "std"])
    mean = kind.map(stats["mean"]).astype("float64")
    sd = kind.map(stats["std"]).astype("float64").fillna(0.0)
    time_term = np.where(seconds > mean + sd, 25, np.where(seconds < mean - sd, 1, 15))
    return _per_student((score + time_term) / 35, pairs[user], "watwin", user)


def help_abuse(
    interactions: pd.DataFrame,
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    quick: str | pd.Timedelta = "2min",
) -> pd.DataFrame:
    """Help abuse: requests that ask for the answer, or ask again without trying first.

    Returns
    -------
    DataFrame
        ``user``, ``requests`` (Int64), ``abuse`` (Int64) and ``abuse_ratio`` (Float64).

    Notes
    -----
    After Aleven, McLaren, Roll & Koedinger (2006), "Toward meta-cognitive tutoring: a
    model of help seeking with a Cognitive Tutor", IJAIED. Their help abuse is clicking
    through hints to the bottom-out hint. An LLM tutor has no hint levels, so here a
    request counts as abuse when it is a solution request (the bottom-out hint asked for
    directly), or when it follows the student's previous request within `quick` with no
    cell run in between (asking again instead of trying the last answer).
    """
    window = pd.Timedelta(quick)
    asks = interactions[[user, "created_at", "classification"]].rename(columns={"created_at": "t"})
    runs = events.loc[events["event_type"] == CELL_EXECUTED, [user, "occurred_at"]]
    runs = runs.rename(columns={"occurred_at": "t"})
    timeline = pd.concat([asks.assign(ask=True), runs.assign(ask=False)], ignore_index=True)
    timeline = timeline.sort_values([user, "t", "ask"], kind="stable")
    prev_ask = timeline.groupby(user, observed=True)["ask"].shift().eq(True)
    prev_t = timeline.groupby(user, observed=True)["t"].shift()
    again = prev_ask & ((timeline["t"] - prev_t) <= window)
    solution = timeline["classification"].astype(object).eq(SOLUTION_REQUEST)
    timeline["abuse"] = timeline["ask"] & (solution | again)
    g = timeline[timeline["ask"]].groupby(user, observed=True)
    out = pd.DataFrame({"requests": g.size(), "abuse": g["abuse"].sum()}).reset_index()
    out["abuse_ratio"] = out["abuse"] / out["requests"]
    return out.astype({"requests": "Int64", "abuse": "Int64", "abuse_ratio": "Float64"})


def help_avoidance(
    events: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    user: str = "user_id",
    struggle: int = 3,
) -> pd.DataFrame:
    """Help avoidance: struggles the student works through without asking the tutor.

    Returns
    -------
    DataFrame
        ``user``, ``struggles`` (Int64), ``avoided`` (Int64) and ``avoidance_ratio``
        (Float64; <NA> for a student who never struggled).

    Notes
    -----
    After Aleven et al. (2006): help avoidance is not asking when help is needed. Here a
    struggle is `struggle` or more consecutive failing runs; it lasts from its first
    failing run to the next successful run (or the student's last run). It is avoided
    when no tutor request falls inside it. Only students who have the tutor should be
    passed in.
    """
    runs = events.loc[events["event_type"] == CELL_EXECUTED, [user, "occurred_at", "success"]]
    runs = runs.sort_values([user, "occurred_at"], kind="stable").reset_index(drop=True)
    failed = _failed(runs["success"])
    runs["streak"] = _failing_streaks(runs, [user], failed)
    runs["next_t"] = runs.groupby(user, observed=True)["occurred_at"].shift(-1)
    streaks = (
        runs[failed]
        .groupby([user, "streak"], observed=True)
        .agg(
            start=("occurred_at", "min"),
            last=("occurred_at", "max"),
            next_t=("next_t", "last"),
            n=("occurred_at", "size"),
        )
        .reset_index()
    )
    streaks = streaks[streaks["n"] >= struggle]
    streaks["end"] = streaks["next_t"].fillna(streaks["last"])
    asks = interactions[[user, "created_at"]]
    merged = streaks.merge(asks, on=user, how="left")
    inside = (merged["created_at"] >= merged["start"]) & (merged["created_at"] <= merged["end"])
    asked = merged.assign(inside=inside).groupby([user, "streak"], observed=True)["inside"].any()
    streaks = streaks.set_index([user, "streak"]).assign(avoided=~asked).reset_index()
    students = pd.DataFrame({user: runs[user].drop_duplicates().to_numpy()})
    g = streaks.groupby(user, observed=True)
    counts = pd.DataFrame({"struggles": g.size(), "avoided": g["avoided"].sum()}).reset_index()
    out = students.merge(counts, on=user, how="left").fillna({"struggles": 0, "avoided": 0})
    out = out.astype({"struggles": "Int64", "avoided": "Int64"})
    ratio = out["avoided"].astype("Float64") / out["struggles"].astype("Float64")
    out["avoidance_ratio"] = ratio.where(out["struggles"] > 0)
    return out


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
    next_t = runs.groupby(keys, observed=True, dropna=False)[time].shift(-1)
    next_failed = failed.shift(-1, fill_value=False) & next_t.notna()
    # the run after a streak's last failing run is, by maximality, the fixing success
    fixed = next_t.where(failed & ~next_failed)
    frame = runs.assign(_streak=_failing_streaks(runs, keys, failed), _fixed=fixed)[failed]
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


def _activity(events: pd.DataFrame, interactions: pd.DataFrame | None, user: str) -> pd.DataFrame:
    runs = events.loc[events["event_type"] == CELL_EXECUTED, [user, "occurred_at"]]
    parts = [runs.rename(columns={"occurred_at": "t"})]
    if interactions is not None:
        parts.append(interactions[[user, "created_at"]].rename(columns={"created_at": "t"}))
    frame = pd.concat(parts, ignore_index=True).dropna()
    return frame.sort_values([user, "t"], kind="stable").reset_index(drop=True)


def time_on_task(
    events: pd.DataFrame,
    interactions: pd.DataFrame | None = None,
    *,
    user: str = "user_id",
    idle: str | pd.Timedelta = "5min",
) -> pd.DataFrame:
    """Time on task: the sum of the pauses between a student's actions, idle pauses left out.

    Returns
    -------
    DataFrame
        ``user``, ``time_on_task_s`` (Float64, seconds) and ``actions`` (Int64).

    Notes
    -----
    The usual estimate from log data (e.g. Kovanović et al. 2015, "Penetrating the black
    box of time-on-task estimation", LAK): actions are cell runs and tutor requests; the
    time between two consecutive actions counts when it is at most `idle`, and a longer
    pause counts as zero (the student was away). The first action of a stretch adds 0.
    """
    cutoff = pd.Timedelta(idle)
    frame = _activity(events, interactions, user)
    gap = frame.groupby(user, observed=True)["t"].diff()
    counted = gap.where(gap <= cutoff).dt.total_seconds().fillna(0.0)
    g = counted.groupby(frame[user], observed=True)
    out = pd.DataFrame({"time_on_task_s": g.sum(), "actions": g.size()}).reset_index()
    return out.astype({"time_on_task_s": "Float64", "actions": "Int64"})


def activity_sessions(
    events: pd.DataFrame,
    interactions: pd.DataFrame | None = None,
    *,
    user: str = "user_id",
    gap: str | pd.Timedelta = "30min",
) -> pd.DataFrame:
    """Working sessions from all activity: cell runs and tutor requests together.

    Returns
    -------
    DataFrame
        As ``sequence.sessions_by_inactivity``: ``user``, ``session``, ``start``, ``end``,
        ``turns`` (actions) and ``length_s``.

    Notes
    -----
    ``sequence.sessions_by_inactivity`` cuts tutor requests only, which misses the work a
    student does without asking; this cuts the union of both at pauses longer than `gap`.
    """
    from analytics.sequence import sessions_by_inactivity

    frame = _activity(events, interactions, user).rename(columns={"t": "created_at"})
    return sessions_by_inactivity(frame, user=user, gap=gap)
