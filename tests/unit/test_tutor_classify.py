"""The rule-based classifier: a truth table of requests and categories."""

from __future__ import annotations

import pytest

from ainative.db.models import CLASSIFICATIONS
from ainative.tutor.classify import classify


@pytest.mark.parametrize(
    ("question", "context", "expected"),
    [
        ("Just give me the code for exercise 3", None, "solution-request"),
        ("Can you write the complete solution?", None, "solution-request"),
        ("Please solve this for me, I get an error", None, "solution-request"),
        ("do my homework", None, "solution-request"),
        ("Why do I get a KeyError here?", None, "debugging"),
        ("my loop is not working", None, "debugging"),
        ("Why does my loop skip the last element?", None, "debugging"),
        ("Why is my while loop infinite?", None, "debugging"),
        ("What is wrong?", {"error": "NameError: name 'x' is not defined"}, "debugging"),
        ("How do I iterate over a dictionary?", None, "implementation"),
        ("how to read a csv file with pandas", None, "implementation"),
        ("What is recursion?", None, "conceptual"),
        ("Explain the difference between a list and a tuple", None, "conceptual"),
        ("Why does this print twice?", {"code": "print(1)"}, "conceptual"),
        ("What's the weather like in Paris tomorrow?", None, "off-topic"),
        ("Who won the football match yesterday?", None, "off-topic"),
    ],
)
def test_classify(question: str, context: dict | None, expected: str) -> None:
    assert classify(question, context) == expected


def test_every_result_is_a_known_category() -> None:
    for q in ("", "hi", "code", "error", "explain loops", "write the full program"):
        assert classify(q) in CLASSIFICATIONS


def test_classifier_is_deterministic() -> None:
    q = "How do I fix this TypeError in my function?"
    assert {classify(q) for _ in range(5)} == {classify(q)}
