"""The reply-time and leak-rate measures on hand-built frames: edges the seeded tests miss."""

from __future__ import annotations

import pandas as pd

from analytics.leak_rates import leak_rate, window_refusals
from analytics.reply_times import time_to_first_reply


def _utc(*stamps: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(stamps), utc=True))


def test_no_reply_at_all_gives_na_not_zero() -> None:
    frame = pd.DataFrame({"course_id": [1, 1, 2], "first_reply_s": [None, None, 30.0]})
    before = frame.copy()
    out = time_to_first_reply(frame).set_index("course_id")
    pd.testing.assert_frame_equal(frame, before)  # the input is never modified
    assert out.loc[1, ["escalations", "replied"]].tolist() == [2, 0]
    assert pd.isna(out.loc[1, "median_s"]) and out.loc[1, "reply_share"] == 0
    assert out.loc[2, ["median_s", "p90_s"]].tolist() == [30.0, 30.0]
    assert list(out.columns) == ["escalations", "replied", "reply_share", "median_s", "p90_s"]


def test_empty_inputs_give_empty_tables() -> None:
    empty = pd.DataFrame({"course_id": pd.Series([], dtype="Int64"), "first_reply_s": []})
    assert time_to_first_reply(empty).empty
    interactions = pd.DataFrame(
        {
            "assignment_id": pd.Series([], dtype="Int32"),
            "arm_id": pd.Series([], dtype="Int32"),
            "created_at": _utc(),
            "leak_score": pd.Series([], dtype="float64"),
            "leaked": pd.Series([], dtype="boolean"),
            "passed_hidden_tests": pd.Series([], dtype="boolean"),
        }
    )
    assert leak_rate(interactions).empty
    assert leak_rate(interactions, by=None)["scored"].tolist() == [0]
    assert pd.isna(leak_rate(interactions, by=None)["leak_rate"].iloc[0])


def test_unscored_answers_and_na_groups() -> None:
    interactions = pd.DataFrame(
        {
            "assignment_id": pd.array([7, 7, 7, None], dtype="Int32"),
            "arm_id": pd.array([None, None, None, None], dtype="Int32"),
            "created_at": _utc(
                "2026-03-02T10:00", "2026-03-03T10:00", "2026-03-09T10:00", "2026-03-09T11:00"
            ),
            "leak_score": [0.9, None, 0.1, 0.7],
            "leaked": pd.array([True, None, False, True], dtype="boolean"),
            "passed_hidden_tests": pd.array([None, None, None, True], dtype="boolean"),
        }
    )
    out = leak_rate(interactions)
    got = {
        (None if pd.isna(r.assignment_id) else r.assignment_id, r.week): (r.scored, r.leak_rate)
        for r in out.itertuples()
    }
    assert got == {
        (7, "2026-W10"): (1, 1.0),
        (7, "2026-W11"): (1, 0.0),
        (None, "2026-W11"): (1, 1.0),
    }
    assert "week" not in interactions  # derived on a copy
    refusals = pd.DataFrame(
        {
            "assignment_id": pd.array([7, 7], dtype="Int32"),
            "user_id": [1, 1],
            "occurred_at": _utc("2026-03-02T10:00", "2026-03-02T11:00"),
        }
    )
    assert window_refusals(refusals)[["refused", "students"]].iloc[0].tolist() == [2, 1]


def test_escalations_outside_experiments_are_their_own_group() -> None:
    frame = pd.DataFrame(
        {"arm_id": pd.array([3, None, None], dtype="Int32"), "first_reply_s": [10.0, 20.0, 40.0]}
    )
    out = time_to_first_reply(frame, by="arm_id")
    assert out["escalations"].tolist() == [1, 2] and out["median_s"].tolist() == [10.0, 30.0]
    assert pd.isna(out["arm_id"].iloc[1])
