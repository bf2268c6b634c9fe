"""Prompt building: mode instructions, course context and the student's context reach the model."""

from __future__ import annotations

import pytest

from ainative.tutor.modes import MODE_NAMES, get_mode
from ainative.tutor.prompts import PROMPT_VERSION, build_messages


@pytest.mark.parametrize("mode", MODE_NAMES)
def test_each_mode_puts_its_instructions_in_the_system_message(mode: str) -> None:
    system, user = build_messages("Why is my loop infinite?", mode)
    assert system["role"] == "system" and user["role"] == "user"
    assert get_mode(mode).instructions in system["content"]
    assert "never write the complete solution" in system["content"]
    assert user["content"] == "Why is my loop infinite?"


def test_modes_differ() -> None:
    systems = {build_messages("q", m)[0]["content"] for m in MODE_NAMES}
    assert len(systems) == len(MODE_NAMES)


def test_context_and_course_policy_are_included() -> None:
    context = {"code": "while True:\n    pass", "error": "KeyboardInterrupt", "notebook": "lab1"}
    system, user = build_messages("  help  ", "hints", context, "Week 3: loops. Python 3.11.")
    assert "Week 3: loops" in system["content"]
    assert user["content"].startswith("help")
    assert "```python\nwhile True:\n    pass\n```" in user["content"]
    assert "KeyboardInterrupt" in user["content"] and "lab1" in user["content"]


def test_long_context_is_clipped() -> None:
    _, user = build_messages("q", "socratic", {"code": "x = 1\n" * 5000})
    assert len(user["content"]) < 7000 and "(truncated)" in user["content"]


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(KeyError, match="socratic"):
        build_messages("q", "oracle")


def test_prompt_version_is_short_enough_for_the_column() -> None:
    assert 0 < len(PROMPT_VERSION) <= 16
