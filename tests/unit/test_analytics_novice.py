"""The novice-programming measures reproduce small examples worked by hand.

Student 1, one session: runs at 0 s NameError, 10 s NameError, 20 s TypeError, 30 s ok,
40 s SyntaxError; asks at 12 s (debugging), 13 s (debugging), 50 s (solution request).
Student 2: KeyError at 0, 5, 65 and 70 s; never asks. Student 3: two good runs.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analytics import novice

T0 = pd.Timestamp("2026-03-02 10:00", tz="UTC")


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
    frame = pd.DataFrame(rows, columns=["user_id", "s", "success", "error_type"])
    frame["occurred_at"] = T0 + pd.to_timedelta(frame.pop("s"), unit="s")
    frame["event_type"] = "cell.executed"
    frame["session_id"] = frame["user_id"].map({1: "a", 2: "b", 3: "c"})
    frame["error_type"] = frame["error_type"].astype("category")
    extra = pd.DataFrame(  # not a cell run: ignored by every measure
        {"user_id": [1], "occurred_at": [T0], "event_type": ["session.start"], "session_id": "a"}
    )
    return pd.concat([frame, extra], ignore_index=True)


def _interactions() -> pd.DataFrame:
    rows = [(1, 12, "debugging"), (1, 13, "debugging"), (1, 50, "solution-request")]
    frame = pd.DataFrame(rows, columns=["user_id", "s", "classification"])
    frame["created_at"] = T0 + pd.to_timedelta(frame.pop("s"), unit="s")
    return frame


def _by_user(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("user_id")


def test_error_quotient_by_hand() -> None:
    eq = _by_user(novice.error_quotient(_events()))
    # student 1 pairs: same error 2+3, two errors 2, then 0, 0 -> (5 + 2) / 8 / 4
    assert eq.loc[1, "error_quotient"] == pytest.approx(7 / 32)
    assert eq.loc[1, "pairs"] == 4
    assert eq.loc[2, "error_quotient"] == pytest.approx(5 / 8)  # the same error 3 times
    assert eq.loc[3, "error_quotient"] == 0


def test_error_quotient_counts_the_same_line() -> None:
    events = _events()
    events["error_line"] = [3, 3, 1, None, 2, 4, 4, 5, 5, None, None, None]
    eq = _by_user(novice.error_quotient(events))
    # student 2: (5 + 3) + 5 + (5 + 3) over three pairs, each out of 8
    assert eq.loc[2, "error_quotient"] == pytest.approx(21 / 24)


def test_repeated_error_density_by_hand() -> None:
    red = _by_user(novice.repeated_error_density(_events()))
    assert red.loc[1, "red"] == pytest.approx(1 / 2)  # one string of 2: r=1 -> 1/2
    assert red.loc[1, "strings"] == 1
    assert red.loc[2, "red"] == pytest.approx(9 / 4)  # one string of 4: r=3 -> 9/4
    assert red.loc[3, "red"] == 0 and red.loc[3, "strings"] == 0


def test_watwin_by_hand() -> None:
    ww = _by_user(novice.watwin(_events()))
    # KeyError resolve times 5, 60, 5: mean 23.3, sd 31.8 -> 60 s is slow (25), others 15.
    # Student 1: (8 + 15) + (0 + 15) + (0 + 15); student 2: (8 + 15) + (8 + 25) + (8 + 15).
    assert ww.loc[1, "watwin"] == pytest.approx(53 / 105)
    assert ww.loc[2, "watwin"] == pytest.approx(79 / 105)
    assert ww.loc[1, "pairs"] == 3
    assert 3 not in ww.index  # never failed: no pair to score


def test_help_abuse_by_hand() -> None:
    abuse = _by_user(novice.help_abuse(_interactions(), _events()))
    # 13 s asks again 1 s after the last request with no run between; 50 s asks for the answer
    assert abuse.loc[1, "requests"] == 3 and abuse.loc[1, "abuse"] == 2
    assert abuse.loc[1, "abuse_ratio"] == pytest.approx(2 / 3)


def test_help_avoidance_by_hand() -> None:
    avoid = _by_user(novice.help_avoidance(_events(), _interactions()))
    assert (avoid.loc[1, "struggles"], avoid.loc[1, "avoided"]) == (1, 0)  # asked at 12 s
    assert (avoid.loc[2, "struggles"], avoid.loc[2, "avoided"]) == (1, 1)
    assert avoid.loc[2, "avoidance_ratio"] == 1.0
    assert avoid.loc[3, "struggles"] == 0 and pd.isna(avoid.loc[3, "avoidance_ratio"])


def test_time_to_fix_by_hand() -> None:
    rows = [
        (1, "a", 0, False),
        (1, "a", 10, False),
        (1, "a", 25, True),  # fixes the streak begun at 0: 25 s, 2 failing runs
        (1, "a", 40, False),  # the session ends: unresolved
        (2, "b", 0, True),
        (2, "b", 5, False),
        (2, "b", 8, True),  # 3 s
        (2, "c", 100, False),  # another session: not fixed by b's runs
        (2, "c", 160, True),  # 60 s
    ]
    events = pd.DataFrame(rows, columns=["user_id", "session_id", "s", "success"])
    events["occurred_at"] = T0 + pd.to_timedelta(events.pop("s"), unit="s")
    events["event_type"] = "cell.executed"
    other = pd.DataFrame(
        {"user_id": [1], "session_id": ["a"], "occurred_at": [T0], "event_type": ["session.start"]}
    )
    out = novice.time_to_fix(pd.concat([other, events], ignore_index=True))
    assert out["user_id"].tolist() == [1, 1, 2, 2]
    assert out["seconds"].tolist() == [25.0, pd.NA, 3.0, 60.0]
    assert out["runs"].tolist() == [2, 1, 1, 1]
    assert out["resolved"].tolist() == [True, False, True, True]
    assert out["failed_at"].iloc[3] == T0 + pd.Timedelta(seconds=100)


def test_time_on_task_by_hand() -> None:
    tot = _by_user(novice.time_on_task(_events(), _interactions(), idle="30s"))
    assert tot.loc[1, "time_on_task_s"] == 50 and tot.loc[1, "actions"] == 8
    assert tot.loc[2, "time_on_task_s"] == 10  # the 60 s pause is idle time
    assert novice.time_on_task(_events(), idle="30s").set_index("user_id").loc[1, "actions"] == 5


def test_sessions_from_all_activity() -> None:
    sessions = novice.activity_sessions(_events(), _interactions(), gap="30s")
    per_user = sessions.groupby("user_id").size()
    assert per_user[1] == 1 and per_user[2] == 2 and per_user[3] == 1
    one = sessions[sessions["user_id"] == 1].iloc[0]
    assert one["turns"] == 8 and one["length_s"] == 50


def test_inputs_are_not_modified() -> None:
    events, interactions = _events(), _interactions()
    before = events.copy(), interactions.copy()
    novice.watwin(events)
    novice.help_avoidance(events, interactions)
    novice.help_abuse(interactions, events)
    pd.testing.assert_frame_equal(events, before[0])
    pd.testing.assert_frame_equal(interactions, before[1])
