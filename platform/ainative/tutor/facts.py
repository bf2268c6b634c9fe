"""The facts a tutor can ground an answer in: the culprit, its line, its value, its origin.

From what a question brings along (ainative.tutor.explanation's kernel explanation, the
error text, the cell's code) and the static reading of that code (code_reading), one
Facts: which name is at fault, on which line of the student's cell, with which value,
and where that value came from. The offline tutor answers from it, the LLM prompt shows
it under its own heading, the "explanation only" arm sends it as the answer.

Every line of code a Facts holds is a line of the student's cell: a line the kernel
names that is not in the cell (a library's frame, another cell) is left out.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ainative.tutor import code_reading
from ainative.tutor.code_reading import Finding, Reading
from ainative.tutor.explanation import Explanation, parse

_ERROR_LINE = re.compile(r"^\s*(\w+(?:Error|Exception|Warning|Interrupt))\b:?\s*(.*)$")
_TB_LINE = re.compile(r"line (\d+)")
_SPAN = re.compile(r"`([^`\n]+)`")
_QUOTED_NAME = re.compile(r"'([A-Za-z_]\w*)'")
# errors whose cause a static finding names better than the failing line does
FINDING_OF = {
    "RecursionError": "recursion-without-base",
    "UnboundLocalError": "undefined-local",
    "NameError": "undefined-name",
}
NAMED_IN_MESSAGE = ("NameError", "UnboundLocalError", "KeyError", "ModuleNotFoundError")


@dataclass(frozen=True)
class Facts:
    """What is known about the question's code, each part None when it is not."""

    error_kind: str | None = None
    error_message: str | None = None
    line: int | None = None
    source: str | None = None  # the failing line, as it is in the cell
    cause: str | None = None  # Python's explanation (friendly-traceback), one line
    hint: str | None = None
    culprit: str | None = None
    value: str | None = None
    origin_line: int | None = None
    origin_source: str | None = None
    finding: Finding | None = None  # the static finding about the culprit, if any
    findings: list[Finding] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.error_kind or self.finding or self.findings)

    @property
    def kind(self) -> str:
        """What went wrong, for the question to ask: the static finding's kind first."""
        if self.finding is not None:
            return self.finding.kind
        return self.error_kind or "unknown"


def _error_of(error: str) -> tuple[str, str] | None:
    for line in reversed(error.strip().splitlines()):
        match = _ERROR_LINE.match(line)
        if match:
            return match.group(1), match.group(2).strip()
    return None


def _line_from_traceback(error: str, reading: Reading) -> int | None:
    """The last 'line N' of the error text whose quoted source is that line of the cell."""
    rows = error.splitlines()
    found = None
    for i, row in enumerate(rows):
        match = _TB_LINE.search(row)
        if match and i + 1 < len(rows):
            number = int(match.group(1))
            if reading.source(number) and reading.source(number) == rows[i + 1].strip():
                found = number
    return found


def _names_on(source: str | None) -> list[str]:
    """The names a line uses, those it reads first (`for i in n:` is about `n`)."""
    if not source:
        return []
    text = source.strip()
    try:
        tree = ast.parse(text + "\n    pass" if text.endswith(":") else text)
    except SyntaxError:
        return [w for w in re.findall(r"[A-Za-z_]\w*", source) if not keyword.iskeyword(w)]
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]
    return [n.id for n in names if isinstance(n.ctx, ast.Load)] + [
        n.id for n in names if not isinstance(n.ctx, ast.Load)
    ]


def _culprit(
    explanation: Explanation | None, source: str | None, reading: Reading, line: int | None
) -> str | None:
    on_line = _names_on(source)
    code_names = set(re.findall(r"[A-Za-z_]\w*", "\n".join(reading.lines)))
    if explanation is not None:
        for name, _value in explanation.values:  # the values the explanation names
            if name in on_line:
                return name
        spans: list[str] = _SPAN.findall(f"{explanation.cause} {explanation.hint}")
        for span in spans:
            if (
                span.isidentifier()
                and not keyword.iskeyword(span)
                and span in code_names
                and (not on_line or span in on_line)
            ):
                return span
    for finding in reading.findings:  # a static finding on the failing line
        if finding.name and (line is None or finding.line == line) and finding.name in on_line:
            return finding.name
    bound = [n for n in on_line if code_reading.origin("\n".join(reading.lines), n, line or 0)]
    return bound[0] if bound else (on_line[0] if on_line else None)


def gather(context: Mapping[str, Any] | None) -> Facts:
    """The Facts of a question's context ({code, error, explanation}); empty when none."""
    context = context or {}
    code = str(context.get("code") or "")
    reading = code_reading.read(code) if code else Reading()
    explanation = parse(str(context.get("explanation") or "")) or None
    error = str(context.get("error") or "")
    kind_message = _error_of(explanation.error if explanation and explanation.error else error)
    line: int | None = None
    if explanation is not None and explanation.line is not None:
        if reading.source(explanation.line) == (explanation.source or "").strip():
            line = explanation.line
    if line is None and error:
        line = _line_from_traceback(error, reading)
    if line is None and kind_message and reading.syntax_error is not None:
        line = reading.syntax_error.line
    if not kind_message:  # no error: the static reading speaks
        reading = reading.ran()  # the widget sends the error of a cell that failed
        top = reading.syntax_error or (reading.findings[0] if reading.findings else None)
        if top is None:
            return Facts(findings=reading.findings)
        return _from_finding(top, reading)
    source = reading.source(line)
    culprit = _culprit(explanation, source, reading, line)
    explained_by = next(
        (f for f in reading.findings if f.kind == FINDING_OF.get(kind_message[0])), None
    )
    if explained_by is not None and explained_by.name:  # the reading knows this error's cause
        culprit = explained_by.name
    named = _QUOTED_NAME.search(kind_message[1])
    if culprit is None and named and kind_message[0] in NAMED_IN_MESSAGE:
        culprit = named.group(1)
    finding = reading.about(culprit) if culprit else None
    if finding is None and line is not None:
        finding = next((f for f in reading.findings if f.line == line and f.name), None)
        culprit = finding.name if finding and not culprit else culprit
    origin_line = finding.origin_line if finding else None
    if origin_line is None and culprit and line is not None:
        origin_line = code_reading.origin(code, culprit, line)
        # the value came from a line the reading has something to say about
        finding = next((f for f in reading.findings if f.line == origin_line), None)
    return Facts(
        error_kind=kind_message[0],
        error_message=kind_message[1] or None,
        line=line,
        source=source,
        cause=explanation.cause if explanation else None,
        hint=explanation.hint or None if explanation else None,
        culprit=culprit,
        value=explanation.value_of(culprit) if explanation and culprit else None,
        origin_line=origin_line if origin_line != line or finding else None,
        origin_source=reading.source(origin_line),
        finding=finding,
        findings=reading.findings,
    )


def _from_finding(top: Finding, reading: Reading) -> Facts:
    return Facts(
        line=top.line,
        source=reading.source(top.line),
        culprit=top.name,
        origin_line=top.origin_line,
        origin_source=reading.source(top.origin_line),
        finding=top,
        findings=reading.findings,
    )
