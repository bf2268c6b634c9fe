"""Worker processes killed mid-task: every accepted question still ends once. `make test`
runs this family's kills; the stuck worker runs in `make faults` (tests/faults/__main__)."""

from __future__ import annotations

from tests.faults.conftest import run_short


def test_workers_killed_mid_task_lose_nothing(fault_stack) -> None:
    outcome = run_short(fault_stack, "worker_kill")
    assert outcome.checks["kills"] >= 2, outcome.checks
    assert outcome.answered > 0
