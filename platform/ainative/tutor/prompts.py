"""Prompt building: mode instructions + course policy + earlier turns + the student's question.

A tutor session is a conversation: the earlier turns (question, stored answer) go to the
model as user/assistant messages between the system message and the new question. The
stored answer is the one the guardrail let through, so a rewritten answer is replayed as
rewritten. The history budget counts characters: the newest turns are kept whole, the
oldest dropped once the budget is spent.

PROMPT_VERSION is stored with every interaction and is part of the cache key, so a
change to the wording here must bump it: old answers are then neither served from
the cache nor mistaken for answers to the new prompt in the research data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ainative.tutor import code_reading
from ainative.tutor.modes import get_mode

# .1: earlier turns of the session as chat history
# .2: the kernel's explanation and the static reading under their own heading (FACTS_HEADING)
PROMPT_VERSION = "2026.12.2"
FACTS_HEADING = "What Python and a reading of my code say (facts, not a fix):"

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


# Wordings an experiment arm can choose (`prompt_variant`); "default" adds nothing.
PromptVariant = Literal["default", "brief"]
PROMPT_VARIANTS: dict[str, str] = {
    "default": "",
    "brief": "Keep every answer to three sentences or fewer, then ask one question.",
}


def prompt_version(variant: str | None = None, *, strict: bool = False) -> str:
    """PROMPT_VERSION with the arm's variant and guardrail: stored with every interaction
    and part of the cache key, so answers of different arms never mix."""
    suffix = "" if variant in (None, "default") else f"+{variant}"
    return PROMPT_VERSION + suffix + ("+strict" if strict else "")


def system_prompt(mode: str, extra_context: str | None = None, variant: str | None = None) -> str:
    """The system message: preamble, the mode's instructions, the arm's prompt variant and
    the course's own context."""
    m = get_mode(mode)
    parts = [SYSTEM_PREAMBLE, f"Mode: {m.title}. {m.instructions}"]
    if PROMPT_VARIANTS.get(variant or "default"):
        parts.append(PROMPT_VARIANTS[variant or "default"])
    if extra_context and extra_context.strip():
        parts.append("Course context from the instructor:\n" + _clip(extra_context, 2_000))
    return "\n\n".join(parts)


def user_prompt(question: str, context: Mapping[str, Any] | None = None) -> str:
    """The user message: the question, then the code, error, the facts (explanation and
    static reading) and the notebook the widget sent."""
    context = context or {}
    parts = [question.strip()]
    if context.get("code"):
        parts.append("My code:\n```python\n" + _clip(str(context["code"])) + "\n```")
    if context.get("error"):
        parts.append("The error I get:\n```\n" + _clip(str(context["error"])) + "\n```")
    facts = facts_section(context)
    if facts:
        parts.append(facts)
    if context.get("notebook"):
        parts.append("Notebook: " + _clip(str(context["notebook"]), 500))
    return "\n\n".join(parts)


def facts_section(context: Mapping[str, Any]) -> str | None:
    """The kernel's explanation (as the student saw it) and the static reading's findings,
    under FACTS_HEADING; None when there are neither."""
    rows: list[str] = []
    if context.get("explanation"):
        rows.append(_clip(str(context["explanation"]), 2_000))
    if context.get("code"):
        reading = code_reading.read(str(context["code"]))
        reading = reading if context.get("error") else reading.ran()
        found = [reading.syntax_error] if reading.syntax_error else reading.findings
        rows += [f"Reading, line {f.line}: {f.message}" for f in found[:8] if f is not None]
    return FACTS_HEADING + "\n" + "\n".join(rows) if rows else None


@dataclass(frozen=True)
class Turn:
    """One earlier turn of the conversation: the student's question and the stored answer."""

    prompt: str
    answer: str

    @property
    def size(self) -> int:
        return len(self.prompt) + len(self.answer)


def fit_history(history: Sequence[Turn], max_chars: int) -> list[Turn]:
    """The newest turns whose prompts and answers fit in `max_chars` characters, oldest first.

    A turn is kept whole or dropped; once one does not fit, every older turn is dropped
    too, so the model never sees a gap in the conversation.
    """
    kept: list[Turn] = []
    used = 0
    for turn in reversed(history):
        used += turn.size
        if used > max_chars:
            break
        kept.append(turn)
    return kept[::-1]


def build_messages(
    question: str,
    mode: str,
    context: Mapping[str, Any] | None = None,
    extra_context: str | None = None,
    *,
    history: Sequence[Turn] = (),
    history_max_chars: int | None = None,
    variant: str | None = None,
) -> list[dict[str, str]]:
    """Chat messages for one tutoring request (OpenAI chat format).

    `history` is the session's earlier turns, oldest first; beyond `history_max_chars`
    (None: no limit) the oldest are dropped.
    """
    turns = list(history) if history_max_chars is None else fit_history(history, history_max_chars)
    messages = [{"role": "system", "content": system_prompt(mode, extra_context, variant)}]
    for turn in turns:
        messages.append({"role": "user", "content": turn.prompt})
        messages.append({"role": "assistant", "content": turn.answer})
    messages.append({"role": "user", "content": user_prompt(question, context)})
    return messages
