"""Redis and PostgreSQL restarted under load: 503 with Retry-After while down, health names
the part that is down, and every accepted question ends once after they return."""

from __future__ import annotations

import pytest

from tests.faults.conftest import run_short


@pytest.mark.parametrize("scenario", ["redis_restart", "redis_restart_aof"])
def test_redis_restart_loses_nothing(fault_stack, scenario: str) -> None:
    outcome = run_short(fault_stack, scenario)
    assert outcome.checks["health_named_broker_down"] is True, outcome.checks
    assert outcome.checks["health_back_after_s"] is not None, outcome.checks
    assert outcome.recovery_s is not None, "nothing was answered after Redis came back"


def test_postgres_restart_loses_nothing(fault_stack) -> None:
    outcome = run_short(fault_stack, "postgres_restart")
    assert outcome.checks["health_named_database_down"] is True, outcome.checks
    assert outcome.checks["health_back_after_s"] is not None, outcome.checks
    assert outcome.recovery_s is not None, "nothing was answered after PostgreSQL came back"
