"""The cell runs the novice-programming measures score, prepared once the same way for all.

Every measure of ``analytics.novice`` reads runs through `prepare_runs`, so what counts as a
run, an error and a session is one definition:

- only ``cell.executed`` events; the tutor's own cells (``tutor_cell``, or code that
  ``ainative.notebook.capture.is_tutor_cell`` recognises) are left out, as the export does;
- a run that ended in KeyboardInterrupt or SystemExit is neither a success nor an error
  (the student stopped it): it is left out, and the runs on either side of it pair;
- with ``compile_only`` only syntax errors (SyntaxError, IndentationError, TabError) are
  errors, a runtime error counts as a successful compile: the compiler-error data the
  measures were defined on;
- runs are grouped into segments a pair or a string may not cross: the student, the
  session and the `by` keys (by default the cell: notebooks run out of order, and a "Run
  All" cascade of NameErrors over many cells is not a student repeating an error).

Sessions: ``session="activity"`` (the default) cuts each student's runs at pauses longer
than `gap`, as ``novice.activity_sessions`` does; a column name (``"session_id"``, the tutor
session) uses that column, and a run without one (before the first question, or a student
who never asks) falls into the activity session it belongs to, never into one pool of all
missing values; ``None`` keeps the student's whole trace as one session. A `by` key that
is missing counts as one value ("unknown cell").
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ainative.course.event_types import CELL_EXECUTED
from ainative.notebook.capture import is_tutor_cell

INTERRUPTS = ("KeyboardInterrupt", "SystemExit")
SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
SESSION = "session"  # the name of the session key in prepared runs and in results
OPTIONAL = ("error_line", "error_message", "error_first_line", "code")


class MeasureInputError(ValueError):
    """The events lack what a measure's published definition needs."""


def is_tutor_run(runs: pd.DataFrame) -> pd.Series:
    """True on the tutor's own cells: flagged at record time, or recognised by their code."""
    flagged = pd.Series(False, index=runs.index)
    if "tutor_cell" in runs.columns:
        flagged = runs["tutor_cell"].astype("boolean").fillna(False).astype(bool)
    if "code" in runs.columns:
        flagged = flagged | runs["code"].map(lambda c: isinstance(c, str) and is_tutor_cell(c))
    return flagged.astype(bool)


def student_runs(events: pd.DataFrame) -> pd.DataFrame:
    """Cell runs without the tutor's own cells (interrupted runs kept): what activity counts."""
    runs = events[events["event_type"] == CELL_EXECUTED]
    return runs[~is_tutor_run(runs)]


def error_types(runs: pd.DataFrame) -> pd.Series:
    """The runs' error types as objects (None where unknown or the column is absent)."""
    if "error_type" not in runs.columns:
        return pd.Series(None, index=runs.index, dtype=object)
    kind = runs["error_type"].astype(object)
    return kind.where(kind.notna(), None)


def interrupted(runs: pd.DataFrame) -> pd.Series:
    """True on runs the student stopped (KeyboardInterrupt, SystemExit)."""
    return error_types(runs).isin(INTERRUPTS)


def _activity_ids(runs: pd.DataFrame, user: str, time: str, gap: pd.Timedelta) -> pd.Series:
    """An id per run: its student's working session, cut at pauses longer than `gap`."""
    order = runs.sort_values([user, time], kind="stable")
    pause = order.groupby(user, observed=True, dropna=False)[time].diff()
    starts = pause.isna() | (pause > gap)
    return starts.cumsum().reindex(runs.index)


def prepare_runs(
    events: pd.DataFrame,
    *,
    user: str,
    time: str,
    session: str | None,
    gap: str | pd.Timedelta,
    by: Sequence[str],
    compile_only: bool = False,
) -> tuple[pd.DataFrame, list[str]]:
    """The scored runs sorted by segment and time, and the segment keys.

    Returns the runs with ``user``, the keys, ``time``, ``failed`` (bool), ``error_type``
    (object, None unless failed) and the optional columns present (error_line,
    error_message, error_first_line, code), plus ``next_*`` of each and ``has_next`` for
    the next run of the same segment.
    """
    missing = [c for c in by if c not in events.columns]
    if missing:
        raise MeasureInputError(
            f"the events have no {', '.join(missing)} column; pass by=() to pair runs across cells"
        )
    runs = student_runs(events)
    runs = runs[~interrupted(runs)]
    kind = error_types(runs)
    failed = runs["success"].astype("boolean").eq(False).fillna(False).astype(bool)
    if compile_only:
        failed = failed & kind.isin(SYNTAX_ERRORS)
    keys = [user]
    frame = pd.DataFrame({user: runs[user], time: runs[time]}, index=runs.index)
    if session is not None:
        activity = _activity_ids(runs, user, time, pd.Timedelta(gap))
        labels = "activity-" + activity.astype("int64").astype(str)
        if session == "activity":
            frame[SESSION] = labels
        else:
            if session not in runs.columns:
                raise MeasureInputError(f"the events have no {session} column")
            given = runs[session].astype(object)
            frame[SESSION] = given.where(given.notna(), labels)
        keys.append(SESSION)
    for key in by:
        frame[key] = runs[key].astype(object).where(runs[key].notna(), "")
        keys.append(key)
    frame["failed"] = failed
    frame["error_type"] = kind.where(failed, None)
    extra = [c for c in OPTIONAL if c in runs.columns]
    for column in extra:
        frame[column] = runs[column].astype(object).where(runs[column].notna(), None)
    frame = frame.sort_values([*keys, time], kind="stable").reset_index(drop=True)
    nxt = frame.groupby(keys, observed=True, dropna=False).shift(-1)
    for column in [time, "failed", "error_type", *extra]:
        frame[f"next_{column}"] = nxt[column]
    frame["has_next"] = nxt[time].notna()
    frame["next_failed"] = frame["next_failed"].astype("boolean").fillna(False).astype(bool)
    return frame, keys


def group_starts(runs: pd.DataFrame, keys: list[str]) -> pd.Series:
    """True on each row whose `keys` differ from the row before (rows sorted by them)."""
    return runs[keys].ne(runs[keys].shift()).any(axis=1)


def group_ends(runs: pd.DataFrame, keys: list[str]) -> pd.Series:
    """True on each segment's last row (rows sorted by `keys`)."""
    return runs[keys].ne(runs[keys].shift(-1)).any(axis=1)


def failing_streaks(runs: pd.DataFrame, keys: list[str], failed: pd.Series) -> pd.Series:
    """A number per failing run, shared by a streak of consecutive failing runs of a segment.

    Only the values on failing rows mean anything (select ``runs[failed]`` first).
    """
    prev_failed = failed.shift(fill_value=False) & ~group_starts(runs, keys)
    return (failed & ~prev_failed).cumsum()
