"""Guardrail against complete solutions: find code in an answer and rewrite or refuse it.

Outcomes (db.models.GUARDRAIL_OUTCOMES):
- passed: no code beyond short snippets;
- rewritten: long code blocks (fenced, or runs of code-like lines) are replaced with
  guidance, the prose around them is kept;
- refused: the student asked for the solution and the answer contains code, so the
  whole answer is replaced with a redirection to their own attempt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_SNIPPET_LINES = 3  # a fenced block up to this many non-blank lines is an illustration
MAX_LOOSE_CODE_LINES = 4  # a run of this many unfenced code-like lines counts as code

_FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_CODE_LINE = re.compile(
    r"^\s*(def |class |for .+:\s*$|while .+:\s*$|if .+:\s*$|elif .+:\s*$|else:\s*$|try:\s*$"
    r"|except\b.*:\s*$|return\b|import \w|from \w+ import|with .+:\s*$|print\(|"
    r"[A-Za-z_][\w.\[\]]*\s*(=|\+=|-=|\*=)\s*\S|[\w.]+\(.*\)\s*$|#include|public |\}|\{\s*$)"
)

REWRITE_NOTE = (
    "> *The tutor removed a code block here: writing it yourself is the exercise. "
    "Try the step described above, run it, and ask again with your attempt and any error.*"
)
REFUSAL = (
    "I can't give you the finished solution, but I can help you get there yourself.\n\n"
    "1. What should your program do first, in one sentence?\n"
    "2. Which part have you already written, and what happens when you run it?\n"
    "3. Which step are you unsure about? Ask me about that step, ideally with your code "
    "and the error message."
)


@dataclass(frozen=True)
class GuardrailResult:
    outcome: str
    answer: str
    detail: dict[str, Any] = field(default_factory=dict)


def _nonblank(block: str) -> int:
    return sum(1 for line in block.splitlines() if line.strip())


def _loose_code_runs(text: str) -> list[tuple[int, int]]:
    """(start, end) line indexes of runs of code-like lines outside fences."""
    runs, start = [], None
    lines = text.splitlines()
    for i, line in enumerate(lines + [""]):
        if line.strip() and _CODE_LINE.match(line):
            start = i if start is None else start
        else:
            if start is not None and i - start >= MAX_LOOSE_CODE_LINES:
                runs.append((start, i))
            start = None
    return runs


def inspect_code(answer: str) -> dict[str, Any]:
    """Counts of code in an answer: fenced blocks, long blocks, loose code-line runs."""
    blocks = [m.group(1) for m in _FENCE.finditer(answer)]
    long_blocks = [b for b in blocks if _nonblank(b) > MAX_SNIPPET_LINES]
    outside = _FENCE.sub("", answer)
    runs = _loose_code_runs(outside)
    return {
        "code_blocks": len(blocks),
        "long_code_blocks": len(long_blocks),
        "code_lines": sum(_nonblank(b) for b in blocks) + sum(e - s for s, e in runs),
        "loose_code_runs": len(runs),
    }


def _rewrite(answer: str) -> str:
    def replace_block(match: re.Match[str]) -> str:
        return REWRITE_NOTE if _nonblank(match.group(1)) > MAX_SNIPPET_LINES else match.group(0)

    text = _FENCE.sub(replace_block, answer)
    lines = text.splitlines()
    for start, end in reversed(_loose_code_runs(text)):
        lines[start:end] = [REWRITE_NOTE]
    return "\n".join(lines).strip()


def apply_guardrail(answer: str, classification: str) -> GuardrailResult:
    """Check an answer before it reaches the student."""
    found = inspect_code(answer)
    has_code = found["code_blocks"] > 0 or found["loose_code_runs"] > 0
    too_much = found["long_code_blocks"] > 0 or found["loose_code_runs"] > 0
    if classification == "solution-request" and has_code:
        detail = {**found, "reason": "solution request answered with code"}
        return GuardrailResult("refused", REFUSAL, detail)
    if too_much:
        detail = {**found, "reason": "answer contained long code"}
        return GuardrailResult("rewritten", _rewrite(answer), detail)
    return GuardrailResult("passed", answer, found)
