"""Survival and small-cluster inference against published worked examples.

- Kaplan-Meier: the 6-MP arm of Freireich et al. (1963), as worked in Kleinbaum & Klein,
  *Survival Analysis*, 3rd ed., ch. 2 (S(t) 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448).
- Cox: the Rossi recidivism data (Fox & Weisberg, *Cox Proportional-Hazards Regression for
  Survival Data in R*, 2011 appendix: fin -0.379, age -0.0574, prio 0.0915, Efron ties).
- CR2 with one row per cluster and a binary regressor is Welch's test (Imbens & Kolesár
  2016); scipy's Welch t-test is the reference.
- The block permutation test, enumerated by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_rossi
from scipy import stats

from analytics.cluster_inference import arm_difference_cr2, block_permutation_test
from analytics.survival import censored_fix_times, cox_by_arm, kaplan_meier

SIX_MP = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1] * 9 + [0] * 12


def test_kaplan_meier_reproduces_freireich_6mp() -> None:
    data = pd.DataFrame({"arm": "6-MP", "duration": SIX_MP, "event": SIX_MP_EVENT})
    curve = kaplan_meier(data).set_index("time")["survival"]
    expected = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}
    for time, value in expected.items():
        assert curve.loc[float(time)] == pytest.approx(value, abs=5e-4)
    assert kaplan_meier(data)["median"].iloc[0] == 23  # first time S(t) <= 0.5


def test_cox_reproduces_the_rossi_coefficients() -> None:
    rossi = load_rossi()
    data = rossi.assign(
        arm=np.where(rossi["fin"] == 1, "aid", "none"), user_id=np.arange(len(rossi))
    )
    covariates = ["age", "race", "wexp", "mar", "paro", "prio"]
    fit = cox_by_arm(
        data, arm="arm", control="none", duration="week", event="arrest", covariates=covariates
    ).set_index("term")
    assert fit.loc["arm[aid]", "coef"] == pytest.approx(-0.379, abs=1e-3)
    assert fit.loc["age", "coef"] == pytest.approx(-0.0574, abs=1e-4)
    assert fit.loc["prio", "coef"] == pytest.approx(0.0915, abs=1e-4)
    model = cox_by_arm(
        data, arm="arm", control="none", duration="week", event="arrest",
        covariates=covariates, cluster=None,
    ).set_index("term")  # fmt: skip
    assert model.loc["arm[aid]", "se"] == pytest.approx(0.191, abs=1e-3)  # the published se
    # with one student per row the cluster-robust se is the plain robust one, not the model's
    assert fit.loc["arm[aid]", "se"] != pytest.approx(model.loc["arm[aid]", "se"], abs=1e-6)


def test_unresolved_streaks_are_censored_at_the_end_of_observation() -> None:
    t0 = pd.Timestamp("2026-03-02 10:00", tz="UTC")
    streaks = pd.DataFrame(
        {
            "user_id": [1, 1, 2],
            "failed_at": [t0, t0 + pd.Timedelta(minutes=10), t0],
            "fixed_at": [t0 + pd.Timedelta(seconds=90), pd.NaT, t0 + pd.Timedelta(hours=5)],
        }
    )
    end = pd.Series({1: t0 + pd.Timedelta(minutes=30), 2: t0 + pd.Timedelta(hours=1)})
    out = censored_fix_times(streaks, end)
    assert out["duration"].tolist() == [90.0, 1200.0, 3600.0]
    assert out["event"].tolist() == [1, 0, 0]  # a fix after observation ended is not seen


def test_cr2_with_single_row_clusters_is_welchs_test() -> None:
    treated = np.array([5.0, 7.0, 9.0, 11.0, 13.0])  # variance 10
    control = np.array([1.0, 3.0, 5.0, 7.0, 9.0, 2.0, 4.0, 6.0, 8.0, 5.0])
    control = (control - control.mean()) / control.std(ddof=1) * np.sqrt(10) + 3
    frame = pd.DataFrame(
        {
            "arm": ["t"] * 5 + ["c"] * 10,
            "y": np.concatenate([treated, control]),
            "user_id": range(15),
        }
    )
    got = arm_difference_cr2(frame, outcome="y", treatment="t", control="c")
    welch = stats.ttest_ind(treated, control, equal_var=False)
    assert got["estimate"] == pytest.approx(treated.mean() - control.mean())
    assert got["se"] == pytest.approx(np.sqrt(10 / 5 + 10 / 10))
    assert got["t"] == pytest.approx(welch.statistic)
    assert got["df"] == pytest.approx(welch.df)
    assert got["p"] == pytest.approx(welch.pvalue)


def test_cr2_counts_a_student_once_however_many_rows() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for student in range(12):
        effect = rng.normal()
        for _ in range(5):
            rows.append((student, "t" if student % 2 else "c", effect + rng.normal(0, 0.1)))
    frame = pd.DataFrame(rows, columns=["user_id", "arm", "y"])
    got = arm_difference_cr2(frame, outcome="y", treatment="t", control="c")
    assert got["clusters"] == 12 and got["rows"] == 60
    assert got["df"] < 11  # about the number of students, not of rows


def test_block_permutation_test_by_hand() -> None:
    # blocks of two: (A=3, B=1), (A=4, B=2); the 4 re-allocations give 2, 0, 0, -2
    students = pd.DataFrame(
        {"block": [1, 1, 2, 2], "arm": ["A", "B", "A", "B"], "y": [3.0, 1.0, 4.0, 2.0]}
    )
    got = block_permutation_test(students, outcome="y", treatment="A", control="B")
    assert got == {"estimate": 2.0, "p": 0.5, "permutations": 4, "exact": 1}
    sampled = block_permutation_test(
        students, outcome="y", treatment="A", control="B", max_exact=1, resamples=999
    )
    assert sampled["exact"] == 0 and 0.4 < sampled["p"] < 0.6
