"""The synthetic-cohort generator draws its tutor modes from the registry's list."""

from __future__ import annotations

from datetime import UTC, datetime

from ainative.tutor.modes import MODE_NAMES
from analytics.synth import MODE_WEIGHTS, Cohort, CohortSpec, generate


def test_every_registered_mode_has_a_weight_and_only_those_are_drawn() -> None:
    assert set(MODE_WEIGHTS) == set(MODE_NAMES)
    assert abs(sum(MODE_WEIGHTS.values()) - 1.0) < 1e-9
    spec = CohortSpec(students=30, days=14, seed=1, end=datetime(2026, 3, 1, tzinfo=UTC))
    drawn = {row["mode"] for row in generate(spec).interactions}
    assert drawn == set(MODE_NAMES)


def test_the_cohort_is_labelled_by_the_live_classifier() -> None:
    from ainative.tutor.classify import classify

    spec = CohortSpec(students=20, days=7, seed=2, end=datetime(2026, 3, 1, tzinfo=UTC))
    rows = generate(spec).interactions
    assert rows and all(r["classification"] == classify(r["prompt"], r["context"]) for r in rows)
    assert {r["classification"] for r in rows} >= {"debugging", "solution-request"}


def _next_run_success(next_run_success: dict[str, float]) -> float:
    """Share of answered requests whose student's next cell run in the session succeeds."""
    spec = CohortSpec(
        students=15,
        days=7,
        seed=5,
        end=datetime(2026, 3, 1, tzinfo=UTC),
        next_run_success=next_run_success,
    )
    cohort = generate(spec)
    outcomes = []
    for row in cohort.interactions:
        later = [
            e
            for e in cohort.events
            if e["session_id"] == row["session_id"] and e["occurred_at"] > row["completed_at"]
        ]
        if row["status"] == "done" and later:
            outcomes.append(min(later, key=lambda e: e["occurred_at"])["payload"]["success"])
    return sum(outcomes) / len(outcomes)


def test_the_planted_effect_is_a_parameter_of_the_generator() -> None:
    always = _next_run_success({"passed": 1.0, "rewritten": 1.0, "refused": 1.0})
    never = _next_run_success({"passed": 0.0, "rewritten": 0.0, "refused": 0.0})
    assert always == 1.0 and never == 0.0


def _experiment_cohort(arms: tuple, students: int = 24) -> Cohort:
    from analytics.synth import ExperimentSpec

    spec = CohortSpec(
        students=students,
        days=7,
        seed=4,
        end=datetime(2026, 3, 1, tzinfo=UTC),
        experiment=ExperimentSpec(name="trial", arms=arms),
    )
    return generate(spec)


def test_no_experiment_unless_asked() -> None:
    cohort = generate(CohortSpec(students=10, days=5, seed=1, end=datetime(2026, 3, 1, tzinfo=UTC)))
    assert cohort.assignments == {}
    assert all("arm" not in row for row in cohort.interactions)


def test_synthetic_students_are_assigned_in_balance_at_their_first_question() -> None:
    from analytics.synth import ArmSpec

    arms = (ArmSpec("a"), ArmSpec("b"), ArmSpec("c"))
    cohort = _experiment_cohort(arms)
    counts = [sum(arm == k for arm, _ in cohort.assignments.values()) for k in range(3)]
    assert max(counts) - min(counts) <= 1 and sum(counts) > 10
    first = {}
    for row in cohort.interactions:
        first.setdefault(row["user_id"], row["created_at"])
        assert row["arm"] == cohort.assignments[row["user_id"]][0]  # the arm stays
    assert {s: at for s, (_, at) in cohort.assignments.items()} == first
    again = _experiment_cohort(arms)
    assert again.assignments == cohort.assignments  # deterministic


def test_each_arm_carries_its_planted_effect() -> None:
    from analytics.synth import ArmSpec

    cohort = _experiment_cohort((ArmSpec("never", 0.0), ArmSpec("always", 1.0)), students=16)
    runs = {}
    for e in cohort.events:
        runs.setdefault(e["session_id"], []).append(e)
    outcomes: dict[int, set[bool]] = {0: set(), 1: set()}
    for row in cohort.interactions:
        later = [e for e in runs[row["session_id"]] if e["occurred_at"] > row["completed_at"]]
        if row["status"] == "done" and later:
            outcomes[row["arm"]].add(later[0]["payload"]["success"])
    assert outcomes == {0: {False}, 1: {True}}


def test_arm_specs_refuse_what_the_platform_refuses() -> None:
    import pytest

    from analytics.synth import ArmSpec, ExperimentSpec

    with pytest.raises(ValueError, match="cannot set quota"):
        ArmSpec("x", policy={"quota_per_hour": 3})
    with pytest.raises(ValueError, match="at least two arms"):
        ExperimentSpec(arms=(ArmSpec("only"),))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ArmSpec("x", 1.5)
