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
