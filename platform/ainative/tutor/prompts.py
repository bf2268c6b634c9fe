"""Prompt building: mode instructions + course policy + the student's question and context.

PROMPT_VERSION is stored with every interaction and is part of the cache key, so a
change to the wording here must bump it: old answers are then neither served from
the cache nor mistaken for answers to the new prompt in the research data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ainative.tutor.modes import get_mode

PROMPT_VERSION = "2026.11.1"

SYSTEM_PREAMBLE = (
    "You are a patient programming tutor for university students working in Jupyter "
    "notebooks. Your goal is learning, not finished homework: never write the complete "
    "solution or a full working program for the student's exercise. Short illustrative "
    "snippets (three lines at most) are fine when they are not the exercise's answer. "
    "Answer in Markdown, briefly."
)

CONTEXT_LIMIT = 6_000  # characters of each context part that reach the model


def _clip(text: str, limit: int = CONTEXT_LIMIT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "\n... (truncated)"


def system_prompt(mode: str, extra_context: str | None = None) -> str:
    """The system message: preamble, the mode's instructions and the course's own context."""
    m = get_mode(mode)
    parts = [SYSTEM_PREAMBLE, f"Mode: {m.title}. {m.instructions}"]
    if extra_context and extra_context.strip():
        parts.append("Course context from the instructor:\n" + _clip(extra_context, 2_000))
    return "\n\n".join(parts)


def user_prompt(question: str, context: Mapping[str, Any] | None = None) -> str:
    """The user message: the question, then the code, error and notebook the widget sent."""
    context = context or {}
    parts = [question.strip()]
    if context.get("code"):
        parts.append("My code:\n```python\n" + _clip(str(context["code"])) + "\n```")
    if context.get("error"):
        parts.append("The error I get:\n```\n" + _clip(str(context["error"])) + "\n```")
    if context.get("notebook"):
        parts.append("Notebook: " + _clip(str(context["notebook"]), 500))
    return "\n\n".join(parts)


def build_messages(
    question: str,
    mode: str,
    context: Mapping[str, Any] | None = None,
    extra_context: str | None = None,
) -> list[dict[str, str]]:
    """Chat messages for one tutoring request (OpenAI chat format)."""
    return [
        {"role": "system", "content": system_prompt(mode, extra_context)},
        {"role": "user", "content": user_prompt(question, context)},
    ]
