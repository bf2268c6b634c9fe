"""Guardrails: code in answers is detected, rewritten, or the answer refused."""

from __future__ import annotations

import warnings

import pytest

from ainative.tutor.guardrails import (
    REFUSAL,
    REWRITE_NOTE,
    apply_guardrail,
    inspect_code,
    looks_like_code,
)

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


# The bypasses from the security review: each hands over the same 5-line function.
SPLIT_BLOCKS = """Start with:

```python
def total(xs):
    s = 0
```

then the loop:

```python
    for x in xs:
        s += x
```

and finally `return`:

```python
    return s
```"""

SPACED_OUT = "def total(xs):\n\n    s = 0\n\n    for x in xs:\n\n        s += x\n\n    return s\n"
TILDES = "~~~python\ndef total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n~~~"
INDENTED = (
    "Here:\n\n    def total(xs):\n        s = 0\n        for x in xs:\n            s += x\n"
    "        return s"
)
INLINE_LINES = "\n\n".join(
    f"`{line}`" for line in ["def total(xs):", "    s = 0", "    for x in xs:", "        s += x"]
)


@pytest.mark.parametrize("answer", [SPLIT_BLOCKS, SPACED_OUT, TILDES, INDENTED, INLINE_LINES])
def test_bypasses_are_rewritten_and_refused(answer: str) -> None:
    rewritten = apply_guardrail(answer, "debugging")
    assert rewritten.outcome == "rewritten"
    assert "s += x" not in rewritten.answer and REWRITE_NOTE in rewritten.answer
    assert apply_guardrail(rewritten.answer, "debugging").outcome == "passed"
    assert apply_guardrail(answer, "solution-request").outcome == "refused"


def test_split_blocks_are_counted_together() -> None:
    found = inspect_code(SPLIT_BLOCKS)
    assert found["code_blocks"] == 3 and found["long_code_blocks"] == 0
    assert found["code_lines"] == 5


def test_rewrite_of_split_code_keeps_prose_and_one_note_per_gap() -> None:
    result = apply_guardrail(SPLIT_BLOCKS, "implementation")
    assert "then the loop:" in result.answer and "and finally `return`:" in result.answer
    assert result.answer.count(REWRITE_NOTE) == 3


@pytest.mark.parametrize(
    "answer",
    [
        'Your traceback:\n\n```\nTraceback (most recent call last):\n  File "a.py", line 3,'
        " in <module>\n    print(total / count)\nZeroDivisionError: division by zero\n```\n"
        "When is `count` zero?",
        "Compare:\n\n```python\nfor i in range(len(xs) - 1):\n    print(xs[i])\n```\n\n"
        "```python\nfor x in xs:\n    print(x)\n```\n\nWhich visits every item?",
        "1. Read the file.\n\n    Each line is one record.\n\n2. Split the line. Which separator?",
        "Output:\n\n```text\n1\n2\n3\n4\n5\n```",
    ],
)
def test_legitimate_answers_pass(answer: str) -> None:
    assert apply_guardrail(answer, "debugging").outcome == "passed"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("for x in xs:", True),
        ("else:", True),
        ("    return total", True),
        ("print(x)", True),
        ("> x = 3", True),
        ("`s += x`", True),
        ("Hello", False),
        ("- item", False),
        ("Note: read this", False),
        ("Why does it fail?", False),
        ("x == 3", False),
        ("# a comment", False),
    ],
)
def test_looks_like_code(line: str, code: bool) -> None:
    assert looks_like_code(line) is code


def test_shape_does_not_depend_on_warning_filters() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert looks_like_code(r'm = re.match("\d+", s)') is True
