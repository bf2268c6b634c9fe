"""Tutor-only text in answers: find a verbatim passage of the course's `extra_context`.

A course's `extra_context` is for the tutor (it goes into the system prompt) and is
never returned to students by the API; the model can still repeat it when a student
asks it to "print its instructions". An answer *repeats* it when it holds a run of
MIN_WORDS consecutive words of it, or one of its lines of at least MIN_LINE_CHARS
characters, both compared normalised: lower case, words only (markdown, punctuation,
line breaks and spacing do not count), so reformatting a passage does not hide it.
Shorter overlaps (a topic name, a common phrase) are not passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_WORDS = 12  # this many consecutive words of the tutor-only text are a passage
MIN_LINE_CHARS = 40  # a line of it this long (normalised) is a passage even if shorter

_WORD = re.compile(r"\w+")

WITHHELD = (
    "I can't repeat the instructions I was given for this course; they are for the tutor "
    "only. I can help you with your own work, though: tell me what you are trying to do, "
    "what you have written so far and what happens when you run it."
)


def words(text: str) -> list[str]:
    """The text's words, lower case, in order."""
    return [m.group().lower() for m in _WORD.finditer(text)]


@dataclass(frozen=True)
class TutorOnly:
    """The passages of one course's tutor-only text, ready to look for in answers."""

    runs: frozenset[tuple[str, ...]]  # every MIN_WORDS-word run of it
    lines: tuple[str, ...]  # its long lines, normalised (words joined by one space)
    starts: frozenset[tuple[str, ...]]  # every beginning (1 to MIN_WORDS - 1 words) of a run

    @classmethod
    def of(cls, text: str | None) -> TutorOnly | None:
        """None when there is no tutor-only text (nothing to look for)."""
        if not text or not text.strip():
            return None
        found = words(text)
        runs = frozenset(tuple(found[i : i + MIN_WORDS]) for i in range(len(found) - MIN_WORDS + 1))
        starts = frozenset(run[:k] for run in runs for k in range(1, MIN_WORDS))
        lines = tuple(
            normal
            for line in text.splitlines()
            if len(normal := " ".join(words(line))) >= MIN_LINE_CHARS
        )
        return cls(runs, lines, starts) if runs or lines else None

    def repeated_in(self, answer: str) -> str | None:
        """How the answer repeats the text ("words" or "line"), None when it does not."""
        found = words(answer)
        if self.runs and any(
            tuple(found[i : i + MIN_WORDS]) in self.runs for i in range(len(found) - MIN_WORDS + 1)
        ):
            return "words"
        normal = " " + " ".join(found) + " "
        if any(f" {line} " in normal for line in self.lines):
            return "line"
        return None

    def held_from(self, text: str) -> int:
        """Where the text's last words begin when they could be the start of a passage
        (so a stream holds them until the next words tell); len(text) when they cannot."""
        spans = [(m.start(), m.group().lower()) for m in _WORD.finditer(text)]
        for k in range(min(MIN_WORDS - 1, len(spans)), 0, -1):
            if tuple(word for _, word in spans[-k:]) in self.starts:
                return spans[-k][0]
        return len(text)
