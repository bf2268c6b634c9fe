"""Token cost per group, worked by hand: cache hits and unpriced models cost nothing known."""

from __future__ import annotations

import pandas as pd
import pytest

from ainative.config import Settings
from ainative.config_topics import parse_llm_prices
from analytics.costs import token_costs


def test_costs_per_course_and_student_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "course_id": [1, 1, 1, 2, 2],
            "user_id": [10, 10, 11, 12, 12],
            "model": ["m", "m", "m", "m", "other"],
            "cache_hit": [False, True, False, False, False],
            "prompt_tokens": pd.array([1000, 1000, 2000, None, 500], dtype="Int32"),
            "completion_tokens": pd.array([100, 100, 300, None, 50], dtype="Int32"),
        }
    )
    prices = {"m": (0.5, 2.0)}  # per million tokens
    course = token_costs(frame, prices, by="course_id").set_index("course_id")
    # course 1: calls 1 and 3 (the hit is not billed): (1000*0.5 + 100*2 + 2000*0.5 + 300*2)/1e6
    assert course.loc[1, "cost"] == pytest.approx(2300 / 1e6)
    assert (course.loc[1, "calls"], course.loc[1, "cache_hits"]) == (2, 1)
    assert course.loc[1, "prompt_tokens"] == 3000
    # course 2: an unanswered row is no call, the other model has no price (unknown, not 0)
    assert (course.loc[2, "calls"], course.loc[2, "unpriced_calls"]) == (1, 1)
    assert course.loc[2, "cost"] == 0
    student = token_costs(frame, prices, by=["course_id", "user_id"])
    assert student.set_index("user_id").loc[11, "cost"] == pytest.approx(1600 / 1e6)


@pytest.mark.parametrize(
    "value", ['{"m": [1]}', '{"m": [-1, 2]}', "[1, 2]", "not json", '{"m": ["a", 1]}']
)
def test_bad_prices_are_refused_naming_the_setting(value: str) -> None:
    with pytest.raises(ValueError, match="LLM_PRICES"):
        Settings(llm_prices=value)


def test_prices_parse() -> None:
    assert parse_llm_prices('{"gpt-4o-mini": [0.15, 0.6]}') == {"gpt-4o-mini": (0.15, 0.6)}
    assert parse_llm_prices("") == {}
