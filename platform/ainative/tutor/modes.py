"""The four tutoring modes and the instructions each gives the model.

A mode is a teaching stance, not a persona: the instructions say what the tutor
may and may not do. Tests assert these instructions reach the model verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass

from ainative.db.models import MODES


@dataclass(frozen=True)
class Mode:
    name: str
    title: str
    instructions: str


_MODES = {
    "socratic": Mode(
        "socratic",
        "Socratic questioning",
        "Answer with guiding questions. Ask at most three short questions that lead the "
        "student to find the problem or the idea themselves. Do not state the fix.",
    ),
    "explanatory": Mode(
        "explanatory",
        "Explanation",
        "Explain the underlying concept clearly and briefly, with a small illustrative example "
        "that is not the student's exercise. End by asking the student to apply it.",
    ),
    "hints": Mode(
        "hints",
        "Graduated hints",
        "Give a numbered list of up to three hints, from the most general to the most "
        "specific. The last hint must still leave the final step to the student.",
    ),
    "metacognitive": Mode(
        "metacognitive",
        "Metacognitive prompting",
        "Help the student reflect on their process: what they tried, what they expected, "
        "how they could test their assumption, and what they would do next. Do not solve it.",
    ),
}

if tuple(_MODES) != MODES:  # the schema's CHECK constraint and this table must agree
    raise RuntimeError("tutor modes and db.models.MODES disagree")

DEFAULT_MODE = "socratic"


def get_mode(name: str) -> Mode:
    """The mode called `name`; KeyError names the valid ones."""
    try:
        return _MODES[name]
    except KeyError:
        raise KeyError(f"unknown mode {name!r}: choose one of {', '.join(MODES)}") from None


def all_modes() -> tuple[Mode, ...]:
    return tuple(_MODES.values())
