"""The experiment report, its effect sizes and cluster bootstrap, on frames small enough to
check by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics import bootstrap, effsize
from analytics import experiment_report as er

T0 = pd.Timestamp("2026-03-02 10:00", tz="UTC")


def _answers(rows: list[tuple[int, str, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "arm", "next_success"]).astype(
        {"next_success": "boolean"}
    )


def _by_arm(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("arm")


# --- effect sizes --------------------------------------------------------------------------


def test_effect_sizes_by_hand() -> None:
    assert effsize.cohens_h(0.5, 0.25) == pytest.approx(math.pi / 2 - math.pi / 3)
    assert effsize.cohens_d([1, 2, 3], [3, 4, 5]) == pytest.approx(-2.0)  # means 2, 4; SD 1
    # pooled variance (2·1 + 2·4) / 4 = 2.5
    assert effsize.cohens_d([2, 4, 6], [1, 2, 3]) == pytest.approx(2 / math.sqrt(2.5))
    assert effsize.cliffs_delta([1, 2, 3], [2, 2]) == 0.0
    assert effsize.cliffs_delta([3, 4], [1, 2, 3]) == pytest.approx(5 / 6)
    assert er.bonferroni(0.95, 5) == pytest.approx(0.99)


# --- the cluster bootstrap -----------------------------------------------------------------


def test_one_student_per_arm_leaves_nothing_to_resample() -> None:
    """Resampling students, not answers: with one student per arm every resample is the
    sample, so the interval is the point itself (an answer-level bootstrap would not be)."""
    frame = _answers(
        [(1, "A", v) for v in (True, False, False, False)]
        + [(2, "B", v) for v in (True, True, False, False)]
    )
    row = er.compare_arms(frame, value="next_success", resamples=300).iloc[0]
    assert (row["arm"], row["reference"]) == ("B", "A")
    assert row["difference"] == pytest.approx(0.25)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(0.25), pytest.approx(0.25))
    assert row["effect"] == "cohens_h"
    assert row["effect_size"] == pytest.approx(effsize.cohens_h(0.5, 0.25))
    assert row["effect_ci_low"] == pytest.approx(row["effect_size"])


def test_two_students_per_arm_give_the_enumerated_interval() -> None:
    """Arm A: student 1 (T, T, F), student 2 (T, F) -> 3/5. Arm B: student 3 (T, T, T),
    student 4 (F) -> 3/4. A resample of an arm is (1, 1), (2, 0) or (0, 2) draws of its
    students (probability 1/2, 1/4, 1/4), so B - A lies between 0 - 2/3 and 1 - 1/2,
    each extreme with probability 1/16 > 2.5 %: the 95 % interval is [-2/3, 1/2]."""
    frame = _answers(
        [(1, "A", True), (1, "A", True), (1, "A", False), (2, "A", True), (2, "A", False)]
        + [(3, "B", True)] * 3
        + [(4, "B", False)]
    )
    summary = _by_arm(er.summarise_arms(frame, value="next_success", seed=1))
    assert summary.loc["A", "estimate"] == pytest.approx(0.6)
    assert summary.loc["B", "estimate"] == pytest.approx(0.75)
    assert summary.loc["A", "students"] == 2 and summary.loc["A", "n"] == 5
    assert (summary.loc["B", "ci_low"], summary.loc["B", "ci_high"]) == (0.0, 1.0)
    row = er.compare_arms(frame, value="next_success", seed=1).iloc[0]
    assert row["difference"] == pytest.approx(0.15)
    assert row["ci_low"] == pytest.approx(-2 / 3)
    assert row["ci_high"] == pytest.approx(0.5)
    again = er.compare_arms(frame, value="next_success", seed=1).iloc[0]
    assert again.equals(row)  # seeded: the same intervals


def test_the_cluster_interval_is_wider_than_an_answer_level_one() -> None:
    """Students whose answers all agree: resampling answers as if independent understates
    the uncertainty; resampling students does not."""
    rows = []
    for student in range(12):
        arm = "A" if student < 6 else "B"
        outcome = student % 3 != 0 if arm == "A" else student % 2 == 0
        rows += [(student, arm, outcome)] * 10
    frame = _answers(rows)
    cluster = er.compare_arms(frame, value="next_success", seed=3).iloc[0]
    naive = er.compare_arms(
        frame.assign(row=range(len(frame))), value="next_success", user="row", seed=3
    ).iloc[0]
    assert cluster["difference"] == naive["difference"]
    width = cluster["ci_high"] - cluster["ci_low"]
    assert width > 2 * (naive["ci_high"] - naive["ci_low"])


def test_counts_with_trials_are_pooled() -> None:
    """Per-student counts: 1 of 4 and 3 of 4 requests abusive -> 4 / 8; a student with no
    requests (0 trials) is left out."""
    frame = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4],
            "arm": ["A", "A", "A", "B"],
            "abuse": [1, 3, 0, 1],
            "requests": [4, 4, 0, 2],
        }
    )
    summary = _by_arm(er.summarise_arms(frame, value="abuse", trials="requests", seed=0))
    assert summary.loc["A", "estimate"] == pytest.approx(0.5)
    assert summary.loc["A", "students"] == 2 and summary.loc["A", "n"] == 8
    assert summary.loc["B", "estimate"] == pytest.approx(0.5)


def test_means_and_medians_with_their_effect_sizes() -> None:
    frame = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 2, 2],
            "arm": ["A"] * 3 + ["B"] * 3,
            "seconds": [1.0, 2.0, 3.0, 2.0, 4.0, 6.0],
        }
    )
    mean = er.compare_arms(frame, value="seconds", kind="mean", resamples=200).iloc[0]
    assert mean["difference"] == pytest.approx(2.0)
    assert mean["effect"] == "cohens_d"
    assert mean["effect_size"] == pytest.approx(2 / math.sqrt(2.5))
    assert (mean["ci_low"], mean["ci_high"]) == (pytest.approx(2.0), pytest.approx(2.0))
    median = er.compare_arms(frame, value="seconds", kind="median", resamples=200).iloc[0]
    assert median["difference"] == pytest.approx(2.0)  # 4 - 2
    assert median["effect"] == "cliffs_delta"
    assert median["effect_size"] == pytest.approx(2 / 3)  # (1 - 1 + 3 + 3) / 9
    assert median["effect_ci_high"] == pytest.approx(2 / 3)


def test_weighted_statistics_equal_the_statistics_of_repeated_values() -> None:
    """The bootstrap weighs observations by how often their student was drawn; that must
    equal repeating them."""
    rng = np.random.default_rng(0)
    x = np.sort(rng.normal(size=7))
    y = np.sort(rng.normal(size=5))
    wx = rng.integers(0, 3, size=(4, 7)).astype(float)
    wy = rng.integers(1, 3, size=(4, 5)).astype(float)
    wx[:, 0] = 1  # no empty resample
    medians = bootstrap._weighted_median(x, wx)
    deltas = effsize.cliffs_delta_weighted(x, wx, y, wy)
    ds = effsize.cohens_d_weighted(x, wx, y, wy)
    for k in range(4):
        rx, ry = np.repeat(x, wx[k].astype(int)), np.repeat(y, wy[k].astype(int))
        assert medians[k] == pytest.approx(np.median(rx))
        assert deltas[k] == pytest.approx(effsize.cliffs_delta(rx, ry))
        assert ds[k] == pytest.approx(effsize.cohens_d(rx, ry))


def test_arms_keep_their_order_and_pairs_can_be_chosen() -> None:
    arms = pd.Categorical(["c", "c", "b", "b", "a"], categories=["c", "b", "a"])
    frame = pd.DataFrame({"user_id": [1, 2, 3, 4, 5], "arm": arms, "ok": [1, 0, 1, 1, 0]})
    out = er.compare_arms(frame, value="ok", resamples=50)
    assert list(zip(out["arm"], out["reference"], strict=True)) == [("b", "c"), ("a", "c")]
    chosen = er.compare_arms(frame, value="ok", pairs=[("a", "b")], resamples=50)
    assert chosen["difference"].tolist() == [pytest.approx(-1.0)]
    with pytest.raises(ValueError, match="no arm named 'z'"):
        er.compare_arms(frame, value="ok", pairs=[("z", "a")])
    with pytest.raises(ValueError, match="kind must be one of"):
        er.summarise_arms(frame, value="ok", kind="mode")


def test_with_arm_joins_the_assignment_and_drops_the_unassigned() -> None:
    assignments = pd.DataFrame(
        {"user_id": [1, 2], "arm": pd.Categorical(["B", "A"], categories=["A", "B"])}
    )
    frame = pd.DataFrame({"user_id": pd.array([1, 2, 3], dtype="Int64"), "x": [10, 20, 30]})
    out = er.with_arm(frame, assignments)
    assert out["arm"].tolist() == ["B", "A"] and out["x"].tolist() == [10, 20]
    assert list(out["arm"].cat.categories) == ["A", "B"]
    assert out["user_id"].dtype == "Int64"
    assert frame.columns.tolist() == ["user_id", "x"]  # the input is untouched


def test_with_arm_keeps_what_happened_under_the_arm() -> None:
    assignments = pd.DataFrame(
        {"user_id": [1, 2], "arm": ["A", "B"], "assigned_at": [T0, T0 + pd.Timedelta("1h")]}
    )
    frame = pd.DataFrame(
        {"user_id": [1, 1, 2, 2], "t": T0 + pd.to_timedelta([-1, 0, 30, 90], unit="min")}
    )
    out = er.with_arm(frame, assignments, time="t")
    # student 1 from T0 on (inclusive), student 2 only after their assignment at +1 h
    assert out["t"].tolist() == [T0, T0 + pd.Timedelta("90min")]
    ended = er.with_arm(frame, assignments, time="t", until=T0 + pd.Timedelta("80min"))
    assert ended["t"].tolist() == [T0]
