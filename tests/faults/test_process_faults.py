"""Worker processes killed mid-task or stuck: every accepted question still ends once."""

from __future__ import annotations

from tests.faults.conftest import run_short


def test_workers_killed_mid_task_lose_nothing(fault_stack) -> None:
    outcome = run_short(fault_stack, "worker_kill")
    assert outcome.checks["kills"] >= 2, outcome.checks
    assert outcome.answered > 0


def test_a_stuck_worker_is_detected_and_the_other_answers(fault_stack) -> None:
    outcome = run_short(fault_stack, "worker_stuck")
    assert outcome.checks["stuck_detected_after_s"] is not None, outcome.checks
    assert outcome.checks["other_worker_alive"] is True
    assert outcome.checks["alive_again"] is True
    assert outcome.answered == outcome.accepted, outcome.examples
