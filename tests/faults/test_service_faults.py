"""Redis restarted without persistence under load: 503 with Retry-After while down, health
names the broker down, and every accepted question ends once after it returns. `make test`
runs this family's Redis restart; Redis with its append-only file and PostgreSQL restarts
run in `make faults` (tests/faults/__main__)."""

from __future__ import annotations

from tests.faults.conftest import run_short


def test_redis_restart_loses_nothing(fault_stack) -> None:
    outcome = run_short(fault_stack, "redis_restart")
    assert outcome.checks["health_named_broker_down"] is True, outcome.checks
    assert outcome.checks["health_back_after_s"] is not None, outcome.checks
    assert outcome.recovery_s is not None, "nothing was answered after Redis came back"
