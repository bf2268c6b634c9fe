"""The LLM times out, rate-limits, fails, answers garbage or is cut off: each question ends
once, answered after retries or with a message a student can read."""

from __future__ import annotations

import pytest

from tests.faults.conftest import run_short


@pytest.mark.parametrize("scenario", ["llm_timeout", "llm_500", "llm_malformed", "llm_cut"])
def test_llm_failures_end_each_question_once(fault_stack, scenario: str) -> None:
    outcome = run_short(fault_stack, scenario)
    assert outcome.recovery_s is not None, "nothing was answered after the LLM recovered"


def test_a_429_is_retried_after_its_retry_after(fault_stack) -> None:
    outcome = run_short(fault_stack, "llm_429")
    assert outcome.checks["retries_before_retry_after"] == 0, outcome.checks
