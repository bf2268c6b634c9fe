"""Guardrail against complete solutions: find code in an answer and rewrite or refuse it.

Outcomes (db.models.GUARDRAIL_OUTCOMES):
- passed: no code beyond short snippets;
- rewritten: too much code (one long block, a long run of unfenced code, or short
  pieces that add up) is replaced with guidance, the prose around it is kept;
- refused: the student asked for the solution and the answer contains code, so the
  whole answer is replaced with a redirection to their own attempt;
- withheld: the answer repeats a verbatim passage of the course's tutor-only text
  (`extra_context`, see tutor_only.py), so the whole answer is replaced with WITHHELD.

Code is found by where it sits (``` and ~~~ fences, indented blocks) and by its
shape (a line that parses as a Python statement), and counted across the whole
answer: splitting a solution into many small blocks, dropping the fences, or
putting a blank line after every line does not make it shorter.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ainative.tutor.tutor_only import WITHHELD, TutorOnly

if TYPE_CHECKING:
    from ainative.tutor.leakage import Reference

MAX_SNIPPET_LINES = 3  # a block up to this many non-blank lines is an illustration
MAX_LOOSE_CODE_LINES = 4  # a run of this many unfenced code lines counts as a long block
MAX_TOTAL_CODE_LINES = 4  # more code lines than this in one answer, however split, is too much

_FENCE_OPEN = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([^`\s]*)")
_NOT_CODE_INFO = frozenset({"text", "txt", "plaintext", "output", "console", "log", "none"})
_HEADER = re.compile(r"^(else|try|finally|except\b[^:]*|elif\b.+|case\b.+|match\b.+)\s*:$")
_C_LIKE = re.compile(r"^(#include\b|[{}]\s*;?$|.*[=(].*;$)")
_TRACEBACK = re.compile(r"^\s*(Traceback \(most recent call last\)|File \".*\", line \d+)")
_LINE_PREFIX = re.compile(r"^(\s*(>|\.\.\.(?=\s)|[-*+](?=\s)|\d+[.)](?=\s)))+\s*")

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


@dataclass(frozen=True)
class _Block:
    """Lines [start, end) of the answer holding code: a fence, an indented block or a loose run."""

    kind: str  # "fenced" | "indented" | "loose"
    start: int
    end: int
    code_lines: int

    @property
    def long(self) -> bool:
        limit = MAX_LOOSE_CODE_LINES - 1 if self.kind == "loose" else MAX_SNIPPET_LINES
        return self.code_lines > limit


def looks_like_code(line: str) -> bool:
    """Whether one line has the shape of a program statement rather than of prose.

    A line counts when it parses as a Python statement other than a bare value
    (`x = 0`, `for x in xs:`, `return s`, `print(x)`), once quote markers, list
    bullets, REPL prompts and wrapping backticks are taken off; a few C-like shapes
    count too. Prose rarely parses, and a bare word or sum is not a statement.
    """
    text = _LINE_PREFIX.sub("", line).strip()
    if len(text) > 2 and text[0] == text[-1] == "`" and not text.startswith("``"):
        text = text[1:-1].strip()
    if not text or text.startswith("#") or len(text) > 200:
        return False
    if _HEADER.match(text):
        return True
    try:
        with warnings.catch_warnings():  # "\d" in a string literal warns; the shape counts
            warnings.simplefilter("ignore")
            tree = ast.parse(text + " pass" if text.endswith(":") else text)
    except (SyntaxError, ValueError):
        return bool(_C_LIKE.match(text))
    return bool(tree.body) and all(_is_statement(node) for node in tree.body)


def _is_statement(node: ast.stmt) -> bool:
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Call | ast.Await | ast.Yield | ast.YieldFrom)
    if isinstance(node, ast.AnnAssign):
        return node.value is not None  # "Note: x" parses as an annotation
    return True


def _holds_code(body: list[str]) -> bool:
    """Whether a fenced or indented block is code: a traceback quotes code lines but is not."""
    return any(map(looks_like_code, body)) and not any(map(_TRACEBACK.match, body))


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def _fence_body_end(lines: list[str], start: int, marker: str) -> tuple[int, int]:
    """(end of the body, index just past the fence) for the fence opened at `start`; an
    unclosed fence runs to the end of the answer."""
    for i in range(start + 1, len(lines)):
        closing = lines[i].strip()
        if closing.startswith(marker) and not closing.strip(marker[0]):
            return i, i + 1
    return len(lines), len(lines)


def _find_blocks(answer: str) -> list[_Block]:
    """Every piece of code in the answer, in order; fences and indented blocks without any
    code-shaped line (tracebacks, program output, indented prose) are not code."""
    lines = answer.splitlines()
    blocks: list[_Block] = []
    loose: list[int] = []  # line indexes of the current loose run

    def close_loose() -> None:
        if loose:
            blocks.append(_Block("loose", loose[0], loose[-1] + 1, len(loose)))
            loose.clear()

    i, previous_blank = 0, True
    while i < len(lines):
        line = lines[i]
        opened = _FENCE_OPEN.match(line)
        if opened:
            body_end, end = _fence_body_end(lines, i, opened.group(1))
            body = lines[i + 1 : body_end]
            if opened.group(2).lower() not in _NOT_CODE_INFO and _holds_code(body):
                close_loose()
                blocks.append(_Block("fenced", i, end, sum(1 for b in body if b.strip())))
            i, previous_blank = end, False
            continue
        if previous_blank and not loose and line.strip() and _indent(line) >= 4:
            end = i
            while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) >= 4):
                end += 1
            while end > i and not lines[end - 1].strip():
                end -= 1
            body = lines[i:end]
            if _holds_code(body):
                blocks.append(_Block("indented", i, end, sum(1 for b in body if b.strip())))
                i, previous_blank = end, False
                continue
        stripped = line.strip()
        if looks_like_code(line):
            loose.append(i)
        elif stripped and not stripped.startswith("#"):
            close_loose()  # prose ends a run; blank lines and comments do not
        previous_blank = not stripped
        i += 1
    close_loose()
    return blocks


def _counts(blocks: list[_Block]) -> dict[str, Any]:
    delimited = [b for b in blocks if b.kind != "loose"]
    runs = [b for b in blocks if b.kind == "loose"]
    return {
        "code_blocks": len(delimited),
        "long_code_blocks": sum(1 for b in delimited if b.long),
        "code_lines": sum(b.code_lines for b in blocks),
        "loose_code_runs": sum(1 for b in runs if b.long),
        "loose_code_lines": sum(b.code_lines for b in runs),
    }


def inspect_code(answer: str) -> dict[str, Any]:
    """Counts of code in an answer: blocks (fenced or indented), long blocks, code lines
    in all of them together, long runs of unfenced code, unfenced code lines."""
    return _counts(_find_blocks(answer))


def _too_much(blocks: list[_Block]) -> bool:
    return any(b.long for b in blocks) or sum(b.code_lines for b in blocks) > MAX_TOTAL_CODE_LINES


def _rewrite(answer: str, blocks: list[_Block], *, all_code: bool = False) -> str:
    """The answer with its long blocks replaced by REWRITE_NOTE; all of its code when the
    pieces only add up to too much together (or `all_code`). Notes with nothing between
    them merge."""
    total_over = all_code or sum(b.code_lines for b in blocks) > MAX_TOTAL_CODE_LINES
    lines = answer.splitlines()
    for block in reversed(blocks):
        if block.long or total_over:
            lines[block.start : block.end] = [REWRITE_NOTE]
    kept: list[str] = []
    for line in lines:
        if line == REWRITE_NOTE:
            while kept and not kept[-1].strip():
                kept.pop()
            if kept and kept[-1] == REWRITE_NOTE:
                continue
            kept += ["", line, ""] if kept else [line, ""]
        elif line.strip() or (kept and kept[-1].strip()):
            kept.append(line)
    return "\n".join(kept).strip()


def apply_guardrail(
    answer: str,
    classification: str,
    *,
    strict: bool = False,
    tutor_only: TutorOnly | None = None,
    reference: Reference | None = None,
    leak_threshold: float | None = None,
) -> GuardrailResult:
    """Check an answer before it reaches the student. `strict` (an experiment arm's or a
    course's `guardrail: strict`) lets no code through at all, not even short snippets;
    `tutor_only` is the course's tutor-only text, which the answer must not repeat. The
    detail says how, never which passage (the student's data export holds it).

    With an assignment's `reference` solution the answer is leak-scored first
    (ainative.tutor.leakage); at or above `leak_threshold` its code is all rewritten, and
    an answer that still leaks without its code (step-by-step prose) is refused. The
    detail's `leak` holds the score, its parts and the decision, never the reference."""
    blocks = _find_blocks(answer)
    found = _counts(blocks)
    repeated = tutor_only.repeated_in(answer) if tutor_only is not None else None
    if repeated is not None:
        detail = {**found, "reason": "answer repeated the course's tutor-only text"}
        return GuardrailResult("withheld", WITHHELD, {**detail, "tutor_only_match": repeated})
    if reference is not None:
        leaked, leak = _leak_check(answer, blocks, found, reference, leak_threshold)
        if leaked is not None:
            return leaked
        found = {**found, "leak": leak}
    if classification == "solution-request" and blocks:
        detail = {**found, "reason": "solution request answered with code"}
        return GuardrailResult("refused", REFUSAL, detail)
    if strict and blocks:
        detail = {**found, "reason": "strict guardrail: no code in answers"}
        return GuardrailResult("rewritten", _rewrite(answer, blocks, all_code=True), detail)
    if _too_much(blocks):
        detail = {**found, "reason": "answer contained long code"}
        return GuardrailResult("rewritten", _rewrite(answer, blocks), detail)
    return GuardrailResult("passed", answer, found)


def _leak_check(
    answer: str,
    blocks: list[_Block],
    found: dict[str, Any],
    reference: Reference,
    threshold: float | None,
) -> tuple[GuardrailResult | None, dict[str, Any]]:
    """(the outcome when the answer leaks the reference solution, else None; the leak
    detail: score, parts, decision)."""
    from ainative.tutor.leakage import LEAK_THRESHOLD, score_answer

    result = score_answer(reference, answer, threshold=threshold or LEAK_THRESHOLD)
    if not result.leak:
        return None, {**result.as_dict(), "decision": "passed"}
    reason = "answer matched the assignment's reference solution"
    if blocks:
        rewritten = _rewrite(answer, blocks, all_code=True)
        if not score_answer(reference, rewritten, threshold=result.threshold).leak:
            leak = {**result.as_dict(), "decision": "rewritten"}
            detail = {**found, "reason": reason, "leak": leak}
            return GuardrailResult("rewritten", rewritten, detail), leak
    leak = {**result.as_dict(), "decision": "refused"}
    return GuardrailResult("refused", REFUSAL, {**found, "reason": reason, "leak": leak}), leak
