"""`ainative tutor eval`: a fixed set of buggy cells through the tutor, measured.

A case is one JSON object a line: `id`, `code`, `question`, `mode`, optional `error`,
`reference` (the exercise's solution) and `expect` (regular expressions a grounded
answer matches, case-insensitive). Each case goes through the pipeline a student's
question takes (ainative.tutor.answering.produce_answer: prompt, provider, guardrail)
without the queue, the database or the cache. With `run=True` the case's code is
executed first in a fresh in-process IPython shell with the widget's own capture
(ainative.notebook.capture), so code, error and explanation are what a kernel sends.

Per case: grounded (every `expect` pattern found), the code lines of the answer that are
not in the cell (a corrected line given away), a `reference` line leaked, latency and
tokens. The summary gives the rates, latency percentiles and token totals.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import statistics
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ainative.config import Settings
from ainative.tutor.grounded import in_cell, is_code
from ainative.tutor.guardrails import looks_like_code

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_SPAN = re.compile(r"`([^`\n]+)`")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


class CaseError(ValueError):
    """A case file line that is not a valid case (the message names the line)."""


@dataclass(frozen=True)
class Case:
    id: str
    code: str
    question: str
    mode: str = "socratic"
    error: str | None = None
    reference: str | None = None
    expect: list[str] = field(default_factory=list)


def load_cases(path: Path) -> list[Case]:
    """The cases of a JSON-lines file; CaseError names the first bad line."""
    cases = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            case = Case(**data)
            if not (case.id and case.question and isinstance(case.expect, list)):
                raise TypeError("id, question and a list `expect` are required")
            for pattern in case.expect:
                re.compile(pattern)
        except (json.JSONDecodeError, TypeError, re.error) as exc:
            raise CaseError(f"{path}:{number}: not a case ({exc})") from exc
        cases.append(case)
    return cases


def run_cell(code: str, budget: float = 0.2) -> dict[str, str]:
    """Execute `code` in a fresh IPython shell with the widget's capture; the context a
    student's kernel would send (code, error, explanation, within `budget` seconds). Its
    output is swallowed."""
    from IPython.core.interactiveshell import InteractiveShell

    from ainative.notebook.capture import CellCapture

    InteractiveShell.clear_instance()
    shell: Any = InteractiveShell.instance()
    capture = CellCapture(budget=budget)
    capture.register(shell)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            shell.run_cell(code, store_history=True)
    finally:
        capture.unregister(shell)
        InteractiveShell.clear_instance()
    return capture.context() or {"code": code}


def foreign_code(answer: str, code: str) -> list[str]:
    """The code in `answer` that is not in the cell: fenced lines, unfenced code lines
    and inline spans that are pieces of a program."""
    found: list[str] = []
    fenced = False
    for raw in answer.splitlines():
        if _FENCE.match(raw):
            fenced = not fenced
            continue
        line = _BULLET.sub("", raw).strip()
        if not line:
            continue
        if (fenced or looks_like_code(line)) and not in_cell(line, code):
            found.append(line)
        elif not fenced:
            found += [s for s in _SPAN.findall(raw) if is_code(s) and not in_cell(s, code)]
    return found


def leaked(answer: str, reference: str | None, code: str) -> list[str]:
    """Lines of the reference solution (not in the cell) that the answer repeats."""
    if not reference:
        return []
    lines = {ln.strip() for ln in reference.splitlines() if len(ln.strip()) >= 8}
    squeezed = "".join(answer.split())
    return sorted(ln for ln in lines if not in_cell(ln, code) and "".join(ln.split()) in squeezed)


def evaluate(
    cases: Iterable[Case],
    *,
    run: bool,
    settings: Settings,
    provider: str | None = None,
    model: str | None = None,
) -> Iterator[dict[str, Any]]:
    """One result per case, in order, each through the student's pipeline."""
    from ainative.tutor.answering import produce_answer

    policy = {k: v for k, v in (("provider", provider), ("model", model)) if v}
    for case in cases:
        if run:
            context = run_cell(case.code, budget=settings.explanation_budget_ms / 1000)
        else:
            context = {"code": case.code, **({"error": case.error} if case.error else {})}
        row = {"prompt": case.question, "mode": case.mode, "context": context, "turn": 1}
        started = time.perf_counter()
        values = produce_answer(row, policy, settings=settings, cache=None)
        latency = int((time.perf_counter() - started) * 1000)
        missing = [p for p in case.expect if not re.search(p, values.answer, re.IGNORECASE)]
        yield {
            "id": case.id,
            "mode": case.mode,
            "context": context,
            "answer": values.answer,
            "latency_ms": latency,
            "prompt_tokens": values.prompt_tokens,
            "completion_tokens": values.completion_tokens,
            "guardrail": values.guardrail,
            "provider": values.provider,
            "model": values.model,
            "prompt_version": values.prompt_version,
            "grounded": not missing if case.expect else None,
            "missing": missing,
            "code_not_in_cell": foreign_code(values.answer, case.code),
            "leaked": leaked(values.answer, case.reference, case.code),
        }


def _percentile(values: list[int], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


@dataclass
class Summary:
    cases: int
    grounded_rate: float | None
    corrected_lines: int
    leak_rate: float
    raising: int
    explained_rate: float | None
    latency_ms_p50: float | None
    latency_ms_p95: float | None
    prompt_tokens: int
    completion_tokens: int
    guardrail: dict[str, int]


def summarize(results: list[dict[str, Any]]) -> Summary:
    """Rates over the results: grounded (of cases with `expect`), leak (code not in the
    cell or a reference line), explained (of cells whose context has an error)."""
    judged = [r for r in results if r["grounded"] is not None]
    raising = [r for r in results if r["context"].get("error")]
    latencies = [int(r["latency_ms"]) for r in results]
    guardrail: dict[str, int] = {}
    for r in results:
        guardrail[r["guardrail"]] = guardrail.get(r["guardrail"], 0) + 1
    return Summary(
        cases=len(results),
        grounded_rate=_rate(sum(bool(r["grounded"]) for r in judged), len(judged)),
        corrected_lines=sum(len(r["code_not_in_cell"]) for r in results),
        leak_rate=_rate(
            sum(bool(r["code_not_in_cell"] or r["leaked"]) for r in results), len(results)
        )
        or 0.0,
        raising=len(raising),
        explained_rate=_rate(
            sum(bool(r["context"].get("explanation")) for r in raising), len(raising)
        ),
        latency_ms_p50=_percentile(latencies, 50),
        latency_ms_p95=_percentile(latencies, 95),
        prompt_tokens=sum(int(r["prompt_tokens"]) for r in results),
        completion_tokens=sum(int(r["completion_tokens"]) for r in results),
        guardrail=guardrail,
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def summary_json(summary: Summary) -> dict[str, Any]:
    return {"summary": asdict(summary)}
