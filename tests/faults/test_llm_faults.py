"""The LLM rate-limits (429 with Retry-After) while students ask: each question ends once,
answered after retries that waited as told. `make test` runs this family's 429; the
timeout, 500, malformed and cut-off answers run in `make faults` (tests/faults/__main__)."""

from __future__ import annotations

from tests.faults.conftest import run_short


def test_a_429_is_retried_after_its_retry_after(fault_stack) -> None:
    outcome = run_short(fault_stack, "llm_429")
    assert outcome.checks["retries_before_retry_after"] == 0, outcome.checks
    assert outcome.recovery_s is not None, "nothing was answered after the LLM recovered"
