"""Guardrails: code in answers is detected, rewritten, or the answer refused."""

from __future__ import annotations

import pytest

from ainative.tutor.guardrails import REFUSAL, REWRITE_NOTE, apply_guardrail, inspect_code

LONG_BLOCK = """Here is the whole thing:

```python
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
```

Run it and see."""

LOOSE_CODE = """Try this:
def total(xs):
    s = 0
    for x in xs:
        s += x
    return s
That's it."""

SHORT_SNIPPET = "Use `len`, for example:\n\n```python\nlen([1, 2, 3])\n```\n\nWhat does it return?"
PROSE = "What do you expect `fib(3)` to return? Trace the calls on paper first."


@pytest.mark.parametrize(
    ("answer", "classification", "outcome"),
    [
        (PROSE, "debugging", "passed"),
        (PROSE, "solution-request", "passed"),
        (SHORT_SNIPPET, "conceptual", "passed"),
        (SHORT_SNIPPET, "solution-request", "refused"),
        (LONG_BLOCK, "implementation", "rewritten"),
        (LONG_BLOCK, "solution-request", "refused"),
        (LOOSE_CODE, "debugging", "rewritten"),
        (LOOSE_CODE, "solution-request", "refused"),
    ],
)
def test_guardrail_outcomes(answer: str, classification: str, outcome: str) -> None:
    assert apply_guardrail(answer, classification).outcome == outcome


def test_rewrite_removes_the_code_and_keeps_the_prose() -> None:
    result = apply_guardrail(LONG_BLOCK, "implementation")
    assert "return fib(n - 1)" not in result.answer
    assert "Here is the whole thing" in result.answer and "Run it and see." in result.answer
    assert REWRITE_NOTE in result.answer
    assert result.detail["long_code_blocks"] == 1
    assert result.detail["reason"]


def test_rewrite_removes_loose_code_lines() -> None:
    result = apply_guardrail(LOOSE_CODE, "implementation")
    assert "s += x" not in result.answer and "That's it." in result.answer


def test_refusal_replaces_the_whole_answer() -> None:
    result = apply_guardrail(LONG_BLOCK, "solution-request")
    assert result.answer == REFUSAL
    assert result.detail["code_blocks"] == 1


def test_inspect_counts_blocks_and_lines() -> None:
    found = inspect_code(LONG_BLOCK + "\n\n" + SHORT_SNIPPET)
    assert found["code_blocks"] == 2
    assert found["long_code_blocks"] == 1
    assert found["code_lines"] == 5


def test_prose_with_assignments_in_a_sentence_is_not_code() -> None:
    text = "If x = 3 then what is x * 2?\nAnd what if x is negative?"
    assert inspect_code(text)["loose_code_runs"] == 0
