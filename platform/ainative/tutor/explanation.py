"""The context item `explanation`: the kernel's diagnosis of a failed cell, as a short text.

The kernel writes it (ainative.notebook.diagnosis), the student sees it verbatim in "What
the tutor will see", the API stores it with the interaction's context, and the tutor
reads it back (the offline tutor, the LLM prompt, the "explanation only" arm). One text
format for all of them, a labelled line each:

    Error: IndexError: list index out of range
    Line 2: print(scores[3])
    Cause: You have tried to get the item with index `3` of `scores`, a `list` of length `3`.
    Hint: Remember: the first item of a `list` is not at index 1 but at index 0.
    Value: scores = [1, 2, 3]

No imports beyond the standard library: the kernel loads this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_VALUE_CHARS = 200  # no value longer than this reaches the tutor
MAX_VALUES = 8
MAX_LINE_CHARS = 500
_LABEL = re.compile(r"^(Error|Line (\d+)|Cause|Hint|Value): ?(.*)$")


def clip_value(value: str, limit: int = MAX_VALUE_CHARS) -> str:
    """One line, at most `limit` characters (the end replaced by an ellipsis)."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True)
class Explanation:
    """What the kernel says about a failed cell; every part is one line."""

    error: str = ""
    line: int | None = None
    source: str | None = None
    cause: str = ""
    hint: str = ""
    values: list[tuple[str, str]] = field(default_factory=list)

    def text(self) -> str:
        """The item as it is sent (and shown to the student)."""
        rows = []
        if self.error:
            rows.append(f"Error: {clip_value(self.error, MAX_LINE_CHARS)}")
        if self.line is not None and self.source is not None:
            rows.append(f"Line {self.line}: {clip_value(self.source, MAX_LINE_CHARS)}")
        if self.cause:
            rows.append(f"Cause: {clip_value(self.cause, 2 * MAX_LINE_CHARS)}")
        if self.hint:
            rows.append(f"Hint: {clip_value(self.hint, MAX_LINE_CHARS)}")
        for name, value in self.values[:MAX_VALUES]:
            rows.append(f"Value: {clip_value(name, 80)} = {clip_value(value)}")
        return "\n".join(rows)

    def value_of(self, name: str) -> str | None:
        return next((value for n, value in self.values if n == name), None)


def parse(text: str | None) -> Explanation | None:
    """The Explanation a text of this format holds; None when it holds no cause."""
    if not text:
        return None
    parts: dict[str, str] = {}
    line: int | None = None
    source: str | None = None
    values: list[tuple[str, str]] = []
    for row in text.splitlines():
        match = _LABEL.match(row.strip())
        if not match:
            continue
        label, number, rest = match.groups()
        if number is not None:
            line, source = int(number), rest
        elif label == "Value":
            name, sep, value = rest.partition(" = ")
            if sep:
                values.append((name.strip(), value.strip()))
        else:
            parts[label] = rest.strip()
    if not parts.get("Cause"):
        return None
    return Explanation(
        error=parts.get("Error", ""),
        line=line,
        source=source,
        cause=parts["Cause"],
        hint=parts.get("Hint", ""),
        values=values,
    )
