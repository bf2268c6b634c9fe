"""The live lab: who needs help now, from the last minutes of a course's trace.

The staff console's live view (``GET /api/v1/courses/{id}/live``) calls `live_rows` with
small frames of the window (the API loads them in two indexed queries). The numbers are
the analytics package's own definitions, never a second implementation:

- failing runs and the current string of one error type: `analytics.novice.error_strings`
  (Becker's strings, as `repeated_error_density` weighs them);
- how much consecutive runs repeat an error: `analytics.novice.error_quotient` (Jadud);
- solution requests: `analytics.measures.solution_seeking`;
- answers the guardrail rewrote, refused or withheld: `analytics.outcomes.guardrail_outcomes`;
- topics: `analytics.measures.request_mix` over the classification.

Runs are not split by session or cell here (``session=None, by=()``): in a lab, a string
of errors is the student's whatever session it began in, and the window's runs carry no
cell. The tutor's own cells are left out by the window's query, interrupted runs here, as
every measure does (``analytics.novice_runs``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from ainative.course.event_types import CELL_EXECUTED
from analytics.measures import request_mix, solution_seeking
from analytics.novice import error_quotient, error_strings
from analytics.novice_runs import interrupted
from analytics.outcomes import guardrail_outcomes

REPEATED = 3  # the same error type this many failing runs in a row: "repeated_error"
GUARDRAIL_ACTED = ("rewritten", "refused", "withheld")
FLAGS = ("solution_request", "guardrail", "repeated_error", "waiting_for_person")
# needs_help = the sum of the weights of the student's flags + EQ_WEIGHT * error quotient
# + STREAK_WEIGHT * failing runs in the current string (at most STREAK_CAP of them).
WEIGHTS = {"waiting_for_person": 5.0, "repeated_error": 3.0, "solution_request": 2.0}
WEIGHTS["guardrail"] = 1.0
EQ_WEIGHT, STREAK_WEIGHT, STREAK_CAP = 2.0, 0.5, 10

_ASKED = ["user_id", "username", "created_at", "classification", "guardrail"]
_RUNS = ["user_id", "username", "occurred_at", "event_type", "success", "error_type"]


def frames(
    interactions: Iterable[Mapping[str, Any] | Sequence[Any]],
    runs: Iterable[Mapping[str, Any] | Sequence[Any]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The window's rows as the frames `live_rows` takes (the columns of ``analytics.load``).

    Rows are dicts, or tuples in the column order of ``staff_views.LIVE_ASKED`` (user_id,
    username, created_at, classification, guardrail) and ``LIVE_RUNS`` (user_id, username,
    occurred_at, event_type, success, error_type).
    """
    asked = pd.DataFrame(list(interactions), columns=_ASKED)
    events = pd.DataFrame(list(runs), columns=_RUNS)
    asked["created_at"] = pd.to_datetime(asked["created_at"], utc=True)
    events["occurred_at"] = pd.to_datetime(events["occurred_at"], utc=True)
    events["success"] = events["success"].astype("boolean")
    return asked, events


def _per_user(frame: pd.DataFrame, column: str) -> dict[int, Any]:
    return dict(zip(frame["user_id"].tolist(), frame[column].tolist(), strict=True))


def live_rows(
    interactions: pd.DataFrame,
    events: pd.DataFrame,
    *,
    now: datetime,
    waiting: Iterable[int] = (),
) -> dict[str, Any]:
    """The live view: students active in the window, most in need of help first.

    Parameters
    ----------
    interactions : DataFrame
        The window's tutor requests: user_id, username, created_at, classification,
        guardrail.
    events : DataFrame
        The window's cell runs: user_id, username, occurred_at, event_type, success,
        error_type.
    now : datetime
        When the window ends (minutes_since_success is counted to it).
    waiting : iterable of int
        Students waiting for a person (the hand-off queue, when it exists).

    Returns
    -------
    dict
        ``students`` (one dict per active student: user_id, username, questions,
        failing_runs, same_error_streak, minutes_since_success, last_active_at, flags,
        needs_help), ``error_types`` and ``topics`` (lists of {name, count}, largest first).

    Notes
    -----
    needs_help = Σ weight(flag) + 2 × error quotient + 0.5 × min(same_error_streak, 10),
    with the weights waiting_for_person 5, repeated_error 3, solution_request 2,
    guardrail 1: a student stuck on one error, or asking for the solution, comes first.
    """
    runs = events[events["event_type"] == CELL_EXECUTED]
    runs = runs[~interrupted(runs)]  # stopped by the student: neither success nor error
    failed = runs["success"].eq(False).fillna(False).astype(bool)
    strings = error_strings(runs, session=None, by=())
    current = strings[strings["current"].fillna(False).astype(bool)]
    streak = _per_user(current, "runs")
    eq = _per_user(error_quotient(runs, session=None, by=()), "error_quotient")
    seeking = solution_seeking(interactions, by="user_id")
    asked_solution = set(seeking.loc[seeking["solution_requests"] > 0, "user_id"].tolist())
    outcomes = guardrail_outcomes(interactions.assign(answer_has_code=False), by="user_id")
    acted = set(outcomes.loc[outcomes["guardrail"].isin(GUARDRAIL_ACTED), "user_id"].tolist())
    waiting_for = set(waiting)

    questions = interactions.groupby("user_id").size().to_dict()
    failing = runs[failed].groupby("user_id").size().to_dict()
    last_ok = runs[runs["success"].eq(True).fillna(False)].groupby("user_id")["occurred_at"].max()
    active = pd.concat(
        [
            interactions[["user_id", "username", "created_at"]].rename(columns={"created_at": "t"}),
            runs[["user_id", "username", "occurred_at"]].rename(columns={"occurred_at": "t"}),
        ],
        ignore_index=True,
    )
    last = active.groupby(["user_id", "username"])["t"].max()
    now_ts = pd.Timestamp(now)
    students = []
    for (uid, name), last_at in last.items():
        same = int(streak.get(uid, 0) or 0)
        flags = [
            flag
            for flag, on in (
                ("solution_request", uid in asked_solution),
                ("guardrail", uid in acted),
                ("repeated_error", same >= REPEATED),
                ("waiting_for_person", uid in waiting_for),
            )
            if on
        ]
        quotient = eq.get(uid)
        score = sum(WEIGHTS[f] for f in flags) + STREAK_WEIGHT * min(same, STREAK_CAP)
        score += EQ_WEIGHT * (0.0 if quotient is None or pd.isna(quotient) else float(quotient))
        ok = last_ok.get(uid)
        students.append(
            {
                "user_id": int(uid),
                "username": str(name),
                "questions": int(questions.get(uid, 0)),
                "failing_runs": int(failing.get(uid, 0)),
                "same_error_streak": same,
                "minutes_since_success": None
                if ok is None
                else round((now_ts - ok).total_seconds() / 60, 1),
                "last_active_at": last_at.to_pydatetime(),
                "flags": flags,
                "needs_help": round(score, 2),
            }
        )
    students.sort(key=lambda s: (-s["needs_help"], s["username"]))
    errors = runs[failed]["error_type"].dropna().value_counts()
    mix = request_mix(interactions).sort_values("requests", ascending=False, kind="stable")
    return {
        "students": students,
        "error_types": [{"name": str(k), "count": int(v)} for k, v in errors.items()],
        "topics": [
            {"name": str(k), "count": int(v)}
            for k, v in zip(mix["classification"], mix["requests"], strict=True)
        ],
    }
