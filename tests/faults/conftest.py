"""One fault harness for the whole tests/faults package: starting it costs most of a run.

One scenario of each family (LLM, process, service) runs its short variant
(scenarios.SHORT) on it; `make faults` runs every scenario in full. A scenario leaves the
platform as it found it (scenarios.ready waits for that before the next one).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.outcome import Outcome, problems
from tests.faults.scenarios import SHORT, run_scenario
from tests.faults.stack import FaultStack


@pytest.fixture(scope="package")
def fault_stack(output_dir: Path) -> Iterator[FaultStack]:
    stack = FaultStack(output_dir / "faults-short").start()
    try:
        yield stack
    finally:
        stack.stop()


def run_short(stack: FaultStack, scenario: str) -> Outcome:
    """Run the short variant of `scenario` and assert the invariants every scenario keeps:
    nothing lost, nothing answered twice, nothing left queued, one row per accepted
    question, no 5xx but 503 with Retry-After, no hang."""
    outcome = run_scenario(stack, scenario, SHORT)
    assert outcome.accepted > 0, outcome
    assert outcome.lost == 0, outcome.examples
    assert outcome.duplicated == 0, outcome.examples
    assert outcome.queued_at_end == 0, outcome
    assert set(outcome.rows_per_accepted) == {1}, outcome.rows_per_accepted
    assert outcome.answered + outcome.errored == outcome.accepted, outcome
    assert problems(outcome) == [], outcome
    return outcome
