"""The synthetic-cohort generator draws its tutor modes from the registry's list."""

from __future__ import annotations

from datetime import UTC, datetime

from ainative.tutor.modes import MODE_NAMES
from analytics.synth import MODE_WEIGHTS, CohortSpec, generate


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
