"""The "explanation only" arm: the facts as the answer, no model, zero tokens, said so."""

from __future__ import annotations

from ainative.config import Settings
from ainative.llm import LLMRequest, resolve_provider
from ainative.llm.explanation_only import EXPLANATION_MODEL, NOTHING, ExplanationOnly
from api.schemas.experiments import ArmPolicy

CONTEXT = {
    "code": "grades = []\naverage = sum(grades) / len(grades)",
    "error": "ZeroDivisionError: division by zero",
    "explanation": "Error: ZeroDivisionError: division by zero\n"
    "Line 2: average = sum(grades) / len(grades)\n"
    "Cause: You are dividing by the following term len(grades) which is equal to zero.\n"
    "Value: grades = []",
}


def _request(context: dict[str, str]) -> LLMRequest:
    return LLMRequest(messages=[], model="", max_tokens=10, question="why?", context=context)


def test_the_answer_is_the_explanation_and_the_reading_without_tokens() -> None:
    result = ExplanationOnly(Settings()).complete(_request(CONTEXT))
    assert "line 2" in result.text and "equal to zero" in result.text and "`grades`" in result.text
    assert "?" not in result.text  # an enhanced error message asks nothing back
    assert (result.provider, result.model) == ("explanation", EXPLANATION_MODEL)
    assert result.prompt_tokens == result.completion_tokens == 0
    assert "no language model" in result.metadata["note"]


def test_nothing_to_explain_says_so() -> None:
    assert ExplanationOnly(Settings()).complete(_request({"code": "x = 1"})).text == NOTHING


def test_an_arm_and_a_course_may_choose_it() -> None:
    assert ArmPolicy(provider="explanation").provider == "explanation"
    assert resolve_provider({"provider": "explanation"}, Settings()) == (
        "explanation",
        EXPLANATION_MODEL,
    )
