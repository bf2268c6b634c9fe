"""The guardrail while an answer streams: release prose as it comes, hold code until checked.

`StreamGuard` sits between the LLM's deltas and the student. It releases text only at
*settled* points: after a complete line that no later line can turn into (or pull into)
code. A fence that is still open, a run of code-shaped lines and an indented block that
may still grow are held back until they close; then the whole answer so far is checked
with `apply_guardrail`, the same rules as the stored answer, and what the student sees
becomes that check's answer: the text itself when it passed, else its rewrite or the
refusal. The unfinished last line is released early only when it starts with a plain
word (not a keyword), and only up to the first `=` or `(`.

So a code block is only ever shown after a check of the answer up to its end: no long
block gets out, and small blocks that add up to too much are replaced once they do.
When what the student sees must change rather than grow (a rewrite after pieces that
passed alone, a refusal), the guard emits a reset: readers discard the text so far and
show the new text. After `finish`, what was shown equals the stored answer exactly.

With the course's tutor-only text, every text is checked before it is shown: one that
would show a verbatim passage of it (tutor_only.py) is replaced, with a reset, by the
WITHHELD message, and nothing more of that answer is shown; last words that could begin
a passage are held until the words after them tell. So a student never sees a passage,
nor its first words, not even for the moment before the line ends.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ainative.tutor.guardrails import (
    _FENCE_OPEN,
    _LINE_PREFIX,
    GuardrailResult,
    _fence_body_end,
    _find_blocks,
    apply_guardrail,
)
from ainative.tutor.tutor_only import WITHHELD, TutorOnly

if TYPE_CHECKING:
    from ainative.tutor.leakage import Reference

_NOT_STATEMENT_START = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"type"}
_FIRST_WORD = re.compile(r"([A-Za-z_]\w*) ")
_HELD_LINE_START = re.compile(r"^(\s{0,3}[`~]|\s{4}|\t)")


@dataclass(frozen=True)
class Release:
    """Text for the student: appended to what they see, or replacing it when `reset`."""

    text: str
    reset: bool = False


def _complete_end(text: str) -> int:
    """Offset just past the last line break (a trailing CR may still become CRLF)."""
    pieces = text.splitlines(keepends=True)
    if not pieces:
        return 0
    last = pieces[-1]
    if last.splitlines()[0] == last or last.endswith("\r"):
        return len(text) - len(last)
    return len(text)


def _is_filler(line: str) -> bool:
    """Blank lines and comments: they neither end nor extend a run of code lines."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def settled_lines(lines: list[str]) -> int:
    """How many leading complete lines are settled: no later line can change whether
    they are code. An open fence, a trailing run of code lines or a trailing indented
    block is not settled yet."""
    i = 0
    while i < len(lines):
        opened = _FENCE_OPEN.match(lines[i])
        if opened:
            body_end, end = _fence_body_end(lines, i, opened.group(1))
            if body_end == len(lines):  # not closed yet
                return i
            i = end
            continue
        i += 1
    blocks = _find_blocks("\n".join(lines))
    if blocks:
        last = blocks[-1]
        after = lines[last.end :]
        if last.kind == "loose" and all(map(_is_filler, after)):
            return last.start
        if last.kind == "indented" and not any(line.strip() for line in after):
            return last.start
    return len(lines)


def prose_prefix(line: str) -> int:
    """How much of an unfinished line may be shown before it ends: 0 unless it starts
    with a plain word (no keyword, no fence, no indentation); then up to the last space
    before any `=` or `(`. That part holds no statement; if the whole line turns out to
    be code, the check at its end decides, and a rewrite withdraws it with a reset."""
    if _HELD_LINE_START.match(line):
        return 0
    marker = _LINE_PREFIX.match(line)
    start = marker.end() if marker else 0
    first = _FIRST_WORD.match(line, start)
    if not first or first.group(1) in _NOT_STATEMENT_START:
        return 0
    stops = [i for i in (line.find("="), line.find("(")) if i >= 0]
    limit = min(stops) if stops else len(line)
    cut = line.rfind(" ", 0, limit)
    return cut + 1 if cut >= first.end(1) else 0


class StreamGuard:
    """Feed it the LLM's deltas; it says what the student may see, and when."""

    def __init__(
        self,
        classification: str,
        *,
        strict: bool = False,
        tutor_only: TutorOnly | None = None,
        reference: Reference | None = None,
        leak_threshold: float | None = None,
    ) -> None:
        self.classification = classification
        self.strict = strict
        self.tutor_only = tutor_only
        self.reference = reference  # an assignment's reference solution: leak-scored
        self.leak_threshold = leak_threshold
        self._withheld = False  # a passage of the tutor-only text came: show no more
        self.text = ""  # everything the model wrote so far
        self.shown = ""  # what the student sees now
        self._checked = 0  # offset of the last settled, checked boundary
        self._raw = True  # whether `shown` is a prefix of `text` (nothing rewritten)
        self._lines_end = 0  # offset past the last complete line already analysed

    def _show(self, target: str, *, final: bool = False) -> Release | None:
        if self._withheld:
            return None
        if self.tutor_only is not None and (
            target == WITHHELD or self.tutor_only.repeated_in(target)
        ):
            target, self._withheld, self._raw = WITHHELD, True, False
        elif self.tutor_only is not None and not final:
            target = target[: self.tutor_only.held_from(target)]
        if target == self.shown:
            return None
        if target.startswith(self.shown):
            release = Release(target[len(self.shown) :])
        else:
            release = Release(target, reset=True)
        self.shown = target
        return release

    def _check(self, offset: int) -> Release | None:
        """Check the answer up to a settled `offset` and show its outcome."""
        self._checked = offset
        result = self._verdict(self.text[:offset])
        if result.outcome == "passed" and self._raw and len(self.shown) >= offset:
            return None  # prose of this line was already released early
        self._raw = result.outcome == "passed"
        return self._show(result.answer)

    def feed(self, chunk: str) -> Release | None:
        """Take one delta; returns what to send the student now, if anything."""
        self.text += chunk
        if self._withheld:
            return None
        end = _complete_end(self.text)
        release = None
        if end > self._lines_end:
            self._lines_end = end
            complete = self.text[:end]
            pieces = complete.splitlines(keepends=True)
            settled = settled_lines(complete.splitlines())
            offset = sum(map(len, pieces[:settled]))
            if offset > self._checked:
                release = self._check(offset)
        if self._raw and self._checked == end and release is None:
            partial = prose_prefix(self.text[end:])
            if partial and end + partial > len(self.shown):
                release = self._show(self.text[: end + partial])
        return release

    def finish(self) -> tuple[Release | None, GuardrailResult]:
        """The answer is complete: the last release, and the guardrail's verdict on it."""
        result = self._verdict(self.text)
        if self._withheld and result.outcome != "withheld":  # a passage in a rewrite only
            reason = "answer repeated the course's tutor-only text"
            result = GuardrailResult("withheld", WITHHELD, {**result.detail, "reason": reason})
        return self._show(result.answer, final=True), result

    def _verdict(self, text: str) -> GuardrailResult:
        return apply_guardrail(
            text,
            self.classification,
            strict=self.strict,
            tutor_only=self.tutor_only,
            reference=self.reference,
            leak_threshold=self.leak_threshold,
        )
