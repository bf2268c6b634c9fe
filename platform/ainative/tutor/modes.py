"""The tutoring modes: the one registry every list of modes is read from.

A mode is a teaching stance, not a persona: the instructions say what the tutor
may and may not do. Tests assert these instructions reach the model verbatim.
The database CHECK constraint, the API schemas, the notebook widget and the
synthetic-cohort generator all read `MODE_NAMES` / `all_modes()` from here, so a
new mode is added in this file (plus a migration that re-reads the registry).
This module imports nothing from the project: db.models imports it, not the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal


@dataclass(frozen=True)
class Mode:
    """One mode: `title` goes into the system prompt, `label` into the widget's dropdown."""

    name: str
    title: str
    label: str
    instructions: str


_MODES = (
    Mode(
        name="socratic",
        title="Socratic questioning",
        label="Socratic: guide me with questions",
        instructions="Answer with guiding questions. Ask at most three short questions that "
        "lead the student to find the problem or the idea themselves. Do not state the fix.",
    ),
    Mode(
        name="explanatory",
        title="Explanation",
        label="Explain the concept",
        instructions="Explain the underlying concept clearly and briefly, with a small "
        "illustrative example that is not the student's exercise. End by asking the student "
        "to apply it.",
    ),
    Mode(
        name="hints",
        title="Graduated hints",
        label="Hints only",
        instructions="Give a numbered list of up to three hints, from the most general to the "
        "most specific. The last hint must still leave the final step to the student.",
    ),
    Mode(
        name="metacognitive",
        title="Metacognitive prompting",
        label="Help me reflect",
        instructions="Help the student reflect on their process: what they tried, what they "
        "expected, how they could test their assumption, and what they would do next. "
        "Do not solve it.",
    ),
)
_BY_NAME = {mode.name: mode for mode in _MODES}

MODE_NAMES: tuple[str, ...] = tuple(_BY_NAME)
"""The mode names in display order (the order of the dropdown and of the API's enum)."""

DEFAULT_MODE = "socratic"
"""The mode of a request that does not name one."""

if TYPE_CHECKING:
    ModeName = str
else:
    # Built from the registry: pydantic's 422 ("Input should be 'socratic', ...") and the
    # OpenAPI enum list exactly these names. Type checkers see a plain str.
    ModeName = Literal[MODE_NAMES]


def get_mode(name: str) -> Mode:
    """The mode called `name`; KeyError names the valid ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown mode {name!r}: choose one of {', '.join(MODE_NAMES)}") from None


def all_modes() -> tuple[Mode, ...]:
    """Every mode, in the order of MODE_NAMES."""
    return _MODES
