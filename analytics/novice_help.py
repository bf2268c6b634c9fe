"""Help seeking and time measures: help abuse and avoidance, time on task, activity sessions.

They read cell runs the way every novice measure does (``analytics.novice_runs``: the
tutor's own cells are not the student's work and are left out) and tutor requests as
``analytics.load.load_interactions`` returns them. Re-exported by ``analytics.novice``.
"""

from __future__ import annotations

import pandas as pd

from analytics.novice_runs import failing_streaks, interrupted, student_runs

SOLUTION_REQUEST = "solution-request"


def _delivered(interactions: pd.DataFrame) -> pd.Series:
    """When each answer reached the student: completed_at, else (never answered) created_at."""
    if "completed_at" not in interactions.columns:
        return interactions["created_at"]
    return interactions["completed_at"].fillna(interactions["created_at"])


def _failed_answer(interactions: pd.DataFrame) -> pd.Series:
    if "status" in interactions.columns:
        return interactions["status"].astype(object).eq("error")
    if "has_error" in interactions.columns:
        return interactions["has_error"].astype("boolean").fillna(False).astype(bool)
    return pd.Series(False, index=interactions.index)


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
        ``user``, ``requests`` (Int64, counted requests), ``abuse`` (Int64) and
        ``abuse_ratio`` (Float64; <NA> with no counted request).

    Notes
    -----
    After Aleven, McLaren, Roll & Koedinger (2006), "Toward meta-cognitive tutoring: a
    model of help seeking with a Cognitive Tutor", IJAIED. Their help abuse is clicking
    through hints to the bottom-out hint. An LLM tutor has no hint levels, so a request
    counts as abuse when it is a solution request (the bottom-out hint asked for
    directly), or when it comes within `quick` of the delivery of the student's previous
    answer (``completed_at``: arms with slower answers must not look more patient) with
    no cell run in between (asking again instead of trying the answer). Counted
    requests open a conversation: dialogue follow-ups (``turn`` >= 2) answer the tutor's
    own questions, and a re-ask after an answer that failed (``status`` error) had no
    answer to try; both are left out of numerator and denominator.
    """
    window = pd.Timedelta(quick)
    asks = interactions.sort_values([user, "created_at"], kind="stable")
    delivered = _delivered(asks)
    prev_delivered = delivered.groupby(asks[user], observed=True).shift()
    prev_failed = _failed_answer(asks).groupby(asks[user], observed=True).shift()
    prev_failed = prev_failed.astype("boolean").fillna(False).astype(bool)
    turn = asks["turn"] if "turn" in asks.columns else pd.Series(pd.NA, index=asks.index)
    follow_up = pd.to_numeric(turn, errors="coerce").ge(2).fillna(False).astype(bool)
    counted = ~follow_up & ~prev_failed
    runs = student_runs(events)[[user, "occurred_at"]].dropna()
    runs = runs.sort_values("occurred_at", kind="stable").rename(columns={"occurred_at": "_run"})
    runs[user] = runs[user].astype(object)  # one key dtype on both sides (Int64 vs int64)
    probe = pd.DataFrame(
        {user: asks[user].astype(object), "created_at": asks["created_at"], "_i": asks.index}
    )
    probe = probe.dropna(subset=["created_at"]).sort_values("created_at", kind="stable")
    last_run = pd.merge_asof(
        probe, runs.assign(created_at=runs["_run"]), on="created_at", by=user
    ).set_index("_i")["_run"]
    last_run = last_run.reindex(asks.index)
    no_run = last_run.isna() | (last_run <= prev_delivered)
    soon = (asks["created_at"] - prev_delivered) <= window
    again = prev_delivered.notna() & soon.fillna(False) & no_run
    solution = asks["classification"].astype(object).eq(SOLUTION_REQUEST)
    frame = pd.DataFrame(
        {user: asks[user], "counted": counted, "abuse": counted & (solution | again)}
    )
    g = frame.groupby(user, observed=True)
    out = pd.DataFrame({"requests": g["counted"].sum(), "abuse": g["abuse"].sum()}).reset_index()
    out = out.astype({"requests": "Int64", "abuse": "Int64"})
    ratio = out["abuse"].astype("Float64") / out["requests"].astype("Float64")
    out["abuse_ratio"] = ratio.where(out["requests"] > 0)
    return out


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
    struggle is `struggle` or more consecutive failing runs (interrupted runs are
    neither, the tutor's cells are not runs); it lasts from its first failing run to the
    next successful run (or the student's last run). It is avoided when no tutor request
    falls inside it. Only students who have the tutor should be passed in.
    """
    runs = student_runs(events)
    runs = runs[~interrupted(runs)]
    runs = runs[[user, "occurred_at", "success"]]
    runs = runs.sort_values([user, "occurred_at"], kind="stable").reset_index(drop=True)
    failed = runs["success"].astype("boolean").eq(False).fillna(False).astype(bool)
    runs["streak"] = failing_streaks(runs, [user], failed)
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


def _activity(events: pd.DataFrame, interactions: pd.DataFrame | None, user: str) -> pd.DataFrame:
    runs = student_runs(events)[[user, "occurred_at"]]
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
    box of time-on-task estimation", LAK): actions are cell runs (not the tutor's own
    cells) and tutor requests; the time between two consecutive actions counts when it
    is at most `idle`, and a longer pause counts as zero (the student was away).
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
    The novice measures' default sessions are these, cut from the runs alone.
    """
    from analytics.sequence import sessions_by_inactivity

    frame = _activity(events, interactions, user).rename(columns={"t": "created_at"})
    return sessions_by_inactivity(frame, user=user, gap=gap)
