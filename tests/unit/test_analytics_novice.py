"""The novice-programming measures against their published definitions, worked by hand.

Error Quotient and Repeated Error Density are checked against what the community's
reference scripts compute (the CSEDM/ProgSnap2 analyses, thomaswp/ProgSnap2Analysis eq.py
and red.py: a pair of failing compiles scores 8, +3 for the same error type, divided by
11; a string of r repeated errors adds r²/(r + 1)); Watwin against a case worked by hand
from Watson, Li & Godwin (2013), preparation included.

Student 1, one cell, one sitting: runs at 0 s NameError, 10 s NameError, 20 s TypeError,
30 s ok, 40 s SyntaxError. Student 2: KeyError at 0, 5, 65 and 70 s. Student 3: two good runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import novice

T0 = pd.Timestamp("2026-03-02 10:00", tz="UTC")


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    frame["occurred_at"] = T0 + pd.to_timedelta(frame.pop("s"), unit="s")
    frame["event_type"] = "cell.executed"
    if "cell_id" not in frame:
        frame["cell_id"] = "c1"
    if "success" in frame:
        frame["success"] = frame["success"].astype("boolean")
    return frame


def _events() -> pd.DataFrame:
    rows = [
        (1, 0, False, "NameError"),
        (1, 10, False, "NameError"),
        (1, 20, False, "TypeError"),
        (1, 30, True, None),
        (1, 40, False, "SyntaxError"),
        (2, 0, False, "KeyError"),
        (2, 5, False, "KeyError"),
        (2, 65, False, "KeyError"),
        (2, 70, False, "KeyError"),
        (3, 0, True, None),
        (3, 20, True, None),
    ]
    frame = _frame(rows, ["user_id", "s", "success", "error_type"])
    frame["session_id"] = frame["user_id"].map({1: "a", 2: "b", 3: "c"})
    frame["error_type"] = frame["error_type"].astype("category")
    extra = pd.DataFrame(  # not a cell run: ignored by every measure
        {"user_id": [1], "occurred_at": [T0], "event_type": ["session.start"], "session_id": "a"}
    )
    return pd.concat([frame, extra], ignore_index=True)


def _by_user(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("user_id")


def test_error_quotient_as_the_reference_implementation_scores_it() -> None:
    eq = _by_user(novice.error_quotient(_events()))
    # student 1 pairs: (N, N) 8 + 3, (N, T) 8, (T, ok) 0, (ok, S) 0 -> 19 / 11 / 4
    assert eq.loc[1, "error_quotient"] == pytest.approx(19 / 44)
    assert eq.loc[1, "pairs"] == 4 and eq.loc[1, "sessions"] == 1
    assert eq.loc[2, "error_quotient"] == pytest.approx(1.0)  # the same error every time
    assert eq.loc[3, "error_quotient"] == 0


def test_a_students_error_quotient_is_the_mean_of_their_sessions() -> None:
    rows = [(1, 0, False, "KeyError"), (1, 10, False, "KeyError")]  # session EQ 1
    rows += [(1, 7200 + s, ok, e) for s, ok, e in ((0, True, None), (10, True, None))]
    rows += [(1, 7220, True, None), (1, 7230, True, None)]  # 3 pairs scoring 0: EQ 0
    eq = novice.error_quotient(_frame(rows, ["user_id", "s", "success", "error_type"]))
    assert eq["sessions"].iloc[0] == 2 and eq["pairs"].iloc[0] == 4
    assert eq["error_quotient"].iloc[0] == pytest.approx(0.5)  # pooled pairs would give 0.25


def test_the_earlier_weights_only_behind_their_named_option() -> None:
    events = _events()
    eq = _by_user(novice.error_quotient(events, weights="jadud-line"))
    assert eq.loc[1, "error_quotient"] == pytest.approx(7 / 32)  # (2 + 3) + 2 over 4 pairs of 8
    events["error_line"] = [3, 3, 1, None, 2, 4, 4, 5, 5, None, None, None]
    eq = _by_user(novice.error_quotient(events, weights="jadud-line"))
    assert eq.loc[2, "error_quotient"] == pytest.approx(21 / 24)  # (5 + 3) + 5 + (5 + 3)
    # the line does not change the published scale
    assert _by_user(novice.error_quotient(events)).loc[2, "error_quotient"] == pytest.approx(1.0)
    with pytest.raises(novice.MeasureInputError):
        novice.error_quotient(events, weights="mine")


def test_repeated_error_density_as_published() -> None:
    red = _by_user(novice.repeated_error_density(_events()))
    assert red.loc[1, "red"] == pytest.approx(1 / 2)  # one string of 2: r=1 -> 1/2
    assert red.loc[1, "strings"] == 1
    assert red.loc[2, "red"] == pytest.approx(9 / 4)  # one string of 4: r=3 -> 9/4
    assert red.loc[3, "red"] == 0 and red.loc[3, "strings"] == 0


def _null_session_runs() -> pd.DataFrame:
    """A student who never asks: two stretches of KeyErrors three hours apart."""
    rows = [(9, s, False, "KeyError") for s in (0, 10, 10_800, 10_810)]
    frame = _frame(rows, ["user_id", "s", "success", "error_type"])
    frame["session_id"] = None
    return frame


def test_runs_without_a_tutor_session_fall_into_activity_sessions() -> None:
    runs = _null_session_runs()
    named = runs.assign(session_id=["x", "x", "y", "y"])
    for session in ("activity", "session_id"):
        eq = novice.error_quotient(runs, session=session)
        assert (eq["pairs"].iloc[0], eq["sessions"].iloc[0]) == (2, 2), session
        red = novice.repeated_error_density(runs, session=session)["red"].iloc[0]
        assert red == pytest.approx(1.0), session  # two strings of 2, neither pooled nor split
    assert novice.time_to_fix(runs, session="session_id")["runs"].tolist() == [2, 2]
    assert novice.error_quotient(named, session="session_id").equals(
        novice.error_quotient(runs, session="session_id")
    )


@pytest.mark.parametrize(
    "measure",
    ["error_quotient", "repeated_error_density", "error_strings", "time_to_fix", "watwin"],
)
def test_null_session_runs_give_the_values_of_the_same_runs_with_a_session(measure: str) -> None:
    with_session = _watwin_events()
    without = with_session.assign(session_id=None)
    fn = getattr(novice, measure)
    pd.testing.assert_frame_equal(fn(without), fn(with_session))


def test_runs_pair_within_one_cell_by_default() -> None:
    cascade = [(1, i, False, "NameError", f"c{i}") for i in range(3)]  # "Run All"
    events = _frame(cascade, ["user_id", "s", "success", "error_type", "cell_id"])
    assert novice.repeated_error_density(events)["red"].iloc[0] == 0
    assert novice.error_quotient(events).empty  # no two runs of one cell: no pair
    across = novice.repeated_error_density(events, by=())["red"].iloc[0]
    assert across == pytest.approx(4 / 3)
    with pytest.raises(novice.MeasureInputError):
        novice.error_quotient(events.drop(columns="cell_id"))


def test_interrupted_runs_and_the_tutors_cells_are_neither_success_nor_error() -> None:
    rows = [
        (1, 0, False, "NameError", "print(x)"),
        (1, 5, False, "KeyboardInterrupt", "while True: pass"),
        (1, 8, True, None, "%tutor"),
        (1, 9, True, None, "from ainative.notebook import TutorWidget\nTutorWidget()"),
        (1, 10, False, "NameError", "print(x)"),
        (1, 20, False, "SystemExit", "raise SystemExit"),
    ]
    events = _frame(rows, ["user_id", "s", "success", "error_type", "code"])
    eq = novice.error_quotient(events)
    assert eq["pairs"].iloc[0] == 1 and eq["error_quotient"].iloc[0] == 1.0
    flagged = events.drop(columns="code").assign(
        tutor_cell=[False, False, True, True, False, False]
    )
    assert novice.error_quotient(flagged).equals(eq)
    fixes = novice.time_to_fix(events)
    assert fixes["runs"].tolist() == [2] and not fixes["resolved"].iloc[0]
    none = pd.DataFrame({"user_id": [], "created_at": pd.to_datetime([], utc=True)})
    avoid = novice.help_avoidance(events, none)
    assert avoid["struggles"].iloc[0] == 0  # two failing runs, not three


def test_compile_only_counts_syntax_errors_alone() -> None:
    rows = [(1, 0, False, "SyntaxError"), (1, 5, False, "NameError"), (1, 9, False, "SyntaxError")]
    events = _frame(rows, ["user_id", "s", "success", "error_type"])
    assert novice.error_quotient(events)["error_quotient"].iloc[0] == pytest.approx(16 / 22)
    only = novice.error_quotient(events, compile_only=True)
    assert only["error_quotient"].iloc[0] == 0 and only["pairs"].iloc[0] == 2


def _watwin_events() -> pd.DataFrame:
    rows = [
        # user, second, success, type, message, line, code
        (1, 0, False, "NameError", "name 'y' is not defined", 2, "x = 1\nprint(y)"),
        (1, 10, False, "NameError", "name 'yy' is not defined", 2, "x = 1\nprint(yy)"),
        (1, 20, False, "NameError", "name 'yy' is not defined", 2, "x = 1\nprint(yy)"),
        (1, 50, True, None, None, None, "x = 1\nprint(x)"),
        (1, 60, False, "SyntaxError", "'[' was never closed", 3, "x = 1\nprint(x)\nz = ["),
        (1, 70, True, None, None, None, "x = 1\nprint(x)"),
        (2, 0, False, "NameError", "name 'n' is not defined", 1, "print(n)"),
        (2, 100, False, "NameError", "name 'n' is not defined", 1, "print( n)"),
        (2, 120, True, None, None, None, "n = 1\nprint(n)"),
    ]
    columns = ["user_id", "s", "success", "error_type", "error_message", "error_line", "code"]
    frame = _frame(rows, columns)
    frame["session_id"] = "t"
    return frame


def test_watwin_worked_by_hand() -> None:
    """Pairs whose first run failed, with the seconds between the runs:
    student 1: (0, 10) both NameError, other name, same line: 4 + 2, 10 s;
    (10, 20) the same code again: pruned; (20, 50) fixed: 30 s; (50, 60) first ok: 0;
    (60, 70) the SyntaxError "fixed" by deleting the line: dropped.
    Student 2: (0, 100) same message, type and line: 4 + 4 + 2, 100 s; (100, 120) 20 s.
    NameError times 10, 30, 100, 20: mean 40, population SD sqrt(1250) = 35.4, so
    100 s is slow (25) and the others are neither (15).
    Student 1: (6 + 15) + 15 + 0 over 3 pairs; student 2: (10 + 25) + 15 over 2.
    """
    ww = _by_user(novice.watwin(_watwin_events()))
    assert ww.loc[1, "watwin"] == pytest.approx(36 / 35 / 3)
    assert ww.loc[2, "watwin"] == pytest.approx(50 / 35 / 2)
    assert (ww.loc[1, "pairs"], ww.loc[2, "pairs"]) == (3, 2)


def test_watwin_refuses_without_messages_or_code() -> None:
    events = _watwin_events()
    for column in ("error_message", "code"):
        with pytest.raises(novice.MeasureInputError, match="include_text"):
            novice.watwin(events.drop(columns=column))


def test_watwin_prefers_the_recorded_first_line() -> None:
    events = _watwin_events()
    events["error_message"] = (
        events["error_message"] + "\nTraceback details differ " + (events.index.astype(str))
    )
    events["error_first_line"] = events["error_message"].str.split("\n").str[0]
    ww = _by_user(novice.watwin(events))
    assert ww.loc[2, "watwin"] == pytest.approx(50 / 35 / 2)


def test_a_fix_by_deleting_or_commenting_out() -> None:
    from analytics.novice import deleted_or_commented_fix as fake

    assert fake("a = 1\nb = [", "a = 1")
    assert fake("a = 1\nb = [", "a = 1\n# b = [")
    assert not fake("a = 1\nb = [", "a = 1\nb = []")
    assert not fake("a = 1", "a = 1")


def _asks(rows: list[tuple]) -> pd.DataFrame:
    columns = ["user_id", "s", "done_s", "classification", "turn", "status"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["created_at"] = T0 + pd.to_timedelta(frame.pop("s"), unit="s")
    frame["completed_at"] = T0 + pd.to_timedelta(frame.pop("done_s"), unit="s")
    frame["turn"] = frame["turn"].astype("Int16")
    return frame


def test_help_abuse_by_hand() -> None:
    asks = _asks(
        [
            (1, 12, 15, "debugging", 1, "done"),
            (1, 16, 18, "debugging", 1, "done"),  # 1 s after the answer, no run: again
            (1, 19, 21, "conceptual", 2, "done"),  # a dialogue follow-up: not counted
            (1, 50, 52, "solution-request", 1, "done"),  # the answer asked for
            (1, 300, 301, "debugging", 1, "error"),
            (1, 302, 305, "debugging", 1, "done"),  # re-asks after a failed answer: not counted
            (2, 0, 200, "debugging", 1, "done"),  # a slow answer...
            (2, 250, 252, "debugging", 1, "done"),  # ...asked again 50 s after it arrived
        ]
    )
    abuse = _by_user(novice.help_abuse(asks, _events()))
    assert (abuse.loc[1, "requests"], abuse.loc[1, "abuse"]) == (4, 2)
    assert abuse.loc[1, "abuse_ratio"] == pytest.approx(1 / 2)
    # measured from the request, 250 s would not be "quick"; the runs at 65 and 70 s came
    # before the answer did, so they are not a try of it
    assert (abuse.loc[2, "requests"], abuse.loc[2, "abuse"]) == (2, 1)


def _simple_asks() -> pd.DataFrame:
    rows = [(1, 12, "debugging"), (1, 13, "debugging"), (1, 50, "solution-request")]
    frame = pd.DataFrame(rows, columns=["user_id", "s", "classification"])
    frame["created_at"] = T0 + pd.to_timedelta(frame.pop("s"), unit="s")
    return frame


def test_help_avoidance_by_hand() -> None:
    avoid = _by_user(novice.help_avoidance(_events(), _simple_asks()))
    assert (avoid.loc[1, "struggles"], avoid.loc[1, "avoided"]) == (1, 0)  # asked at 12 s
    assert (avoid.loc[2, "struggles"], avoid.loc[2, "avoided"]) == (1, 1)
    assert avoid.loc[2, "avoidance_ratio"] == 1.0
    assert avoid.loc[3, "struggles"] == 0 and pd.isna(avoid.loc[3, "avoidance_ratio"])


def test_time_to_fix_by_hand() -> None:
    rows = [
        (1, "a", 0, False, "c1"),
        (1, "a", 10, False, "c1"),
        (1, "a", 25, True, "c1"),  # fixes the streak begun at 0: 25 s, 2 failing runs
        (1, "a", 40, False, "c1"),  # nothing follows in its cell: unresolved
        (1, "a", 45, True, "c2"),  # another cell's success is not a fix
        (2, "b", 0, True, "c1"),
        (2, "b", 5, False, "c1"),
        (2, "b", 8, True, "c1"),  # 3 s
        (2, "c", 100, False, "c1"),  # another session: not fixed by b's runs
        (2, "c", 160, True, "c1"),  # 60 s
    ]
    events = _frame(rows, ["user_id", "session_id", "s", "success", "cell_id"])
    out = novice.time_to_fix(events, session="session_id")
    assert out["user_id"].tolist() == [1, 1, 2, 2]
    assert out["seconds"].tolist() == [25.0, pd.NA, 3.0, 60.0]
    assert out["runs"].tolist() == [2, 1, 1, 1]
    assert out["resolved"].tolist() == [True, False, True, True]
    assert out["failed_at"].iloc[3] == T0 + pd.Timedelta(seconds=100)
    across = novice.time_to_fix(events, session="session_id", by=())
    assert across["seconds"].tolist()[1] == 5.0  # pairing across cells: fixed by c2


def test_time_on_task_by_hand() -> None:
    tot = _by_user(novice.time_on_task(_events(), _simple_asks(), idle="30s"))
    assert tot.loc[1, "time_on_task_s"] == 50 and tot.loc[1, "actions"] == 8
    assert tot.loc[2, "time_on_task_s"] == 10  # the 60 s pause is idle time
    assert novice.time_on_task(_events(), idle="30s").set_index("user_id").loc[1, "actions"] == 5


def test_sessions_from_all_activity() -> None:
    sessions = novice.activity_sessions(_events(), _simple_asks(), gap="30s")
    per_user = sessions.groupby("user_id").size()
    assert per_user[1] == 1 and per_user[2] == 2 and per_user[3] == 1
    one = sessions[sessions["user_id"] == 1].iloc[0]
    assert one["turns"] == 8 and one["length_s"] == 50


def test_inputs_are_not_modified() -> None:
    events, interactions = _watwin_events(), _simple_asks()
    before = events.copy(), interactions.copy()
    novice.watwin(events)
    novice.error_quotient(events)
    novice.help_avoidance(events, interactions)
    novice.help_abuse(interactions, events)
    pd.testing.assert_frame_equal(events, before[0])
    pd.testing.assert_frame_equal(interactions, before[1])
    assert np.isfinite(novice.error_quotient(events)["error_quotient"].astype(float)).all()


def test_help_abuse_takes_ids_of_either_integer_dtype() -> None:
    asks = _asks([(1, 12, 15, "debugging", 1, "done"), (1, 16, 18, "debugging", 1, "done")])
    asks["user_id"] = asks["user_id"].astype("Int64")  # as the loaders type it
    assert novice.help_abuse(asks, _events())["abuse"].tolist() == [1]
