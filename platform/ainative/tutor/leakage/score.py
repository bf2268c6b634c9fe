"""One answer against one reference solution: the leak score, its parts and its decision.

    score = max(tokens, ast, prose, 1.0 if the answer's code passes the hidden tests)

- `tokens`: the share of the reference's winnowed fingerprints found in the answer's code
  (fingerprints.py), i.e. how much of the reference is contained in the answer;
- `ast`: the share of the reference's statement skeletons found among the answer's, where
  both parse (structure.py);
- `prose`: step-by-step prose with the reference's structure (prose.py), weighted by
  `PROSE_WEIGHT`;
- `tests`: with hidden tests, the answer's code is run against them in the sandbox
  (sandbox.py) when it parses and defines something; passing them is a complete solution.

`leak` is `score >= threshold` (the course's `leak_threshold`, default `LEAK_THRESHOLD`).
The parts name what matched (counts, shares, which reference lines) and never quote the
reference, so they may be stored with the interaction.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ainative.tutor.guardrails import _FENCE_OPEN, _LINE_PREFIX, _find_blocks, looks_like_code
from ainative.tutor.leakage import fingerprints as fp
from ainative.tutor.leakage import structure
from ainative.tutor.leakage.prose import prose_score
from ainative.tutor.leakage.sandbox import run_tests

LEAK_THRESHOLD = 0.5
HINTS_ONLY_THRESHOLD = 0.3  # a hints-only window tightens the threshold to at most this
PROSE_WEIGHT = 0.9
MIN_CODE_TOKENS = 8  # less code than this in an answer is no solution by its tokens
_INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")


@dataclass(frozen=True)
class Reference:
    """A reference solution prepared once: its fingerprints, skeletons and shape."""

    code: str
    tests: str | None = None
    fingerprints: frozenset[int] = frozenset()
    skeletons: Any = None
    shape: structure.Shape | None = None

    @classmethod
    def of(cls, code: str, tests: str | None = None) -> Reference:
        tree = structure.parse(code)
        return cls(
            code=code,
            tests=tests or None,
            fingerprints=frozenset(fp.fingerprints(fp.normalise(code))),
            skeletons=structure.skeletons(tree) if tree is not None else None,
            shape=structure.shape_of(tree) if tree is not None else None,
        )


@dataclass(frozen=True)
class LeakScore:
    score: float
    leak: bool
    threshold: float
    parts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "leak": self.leak,
            "threshold": self.threshold,
            "parts": self.parts,
        }


def code_blocks(answer: str) -> list[str]:
    """The code in an answer: fenced, indented and loose blocks (as the guardrail finds
    them), then inline code spans that have a statement's shape."""
    lines = answer.splitlines()
    found: list[str] = []
    for block in _find_blocks(answer):
        body = lines[block.start : block.end]
        if block.kind == "fenced":
            body = body[1:]
            if body and _FENCE_OPEN.match(body[-1]):
                body = body[:-1]
            found.append(textwrap.dedent("\n".join(body)))
        elif block.kind == "indented":
            found.append(textwrap.dedent("\n".join(body)))
        else:
            found.append("\n".join(_LINE_PREFIX.sub("", x) for x in body))
    for span in _INLINE.findall(answer):
        if looks_like_code(span):
            found.append(span.strip())
    return found


def _defines_something(tree: ast.Module) -> bool:
    return any(
        isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Assign | ast.Lambda) for n in tree.body
    )


def score_answer(
    reference: Reference, answer: str, *, threshold: float = LEAK_THRESHOLD
) -> LeakScore:
    """Score one answer against a prepared reference (see the module docstring)."""
    blocks = code_blocks(answer)
    code = "\n\n".join(blocks)
    tokens = fp.normalise(code) if code else []
    parts: dict[str, Any] = {"code_blocks": len(blocks), "code_tokens": len(tokens)}
    token_share = 0.0
    if len(tokens) >= MIN_CODE_TOKENS:
        token_share = fp.containment(set(reference.fingerprints), fp.fingerprints(tokens))
    parts["tokens"] = round(token_share, 4)
    ast_share = 0.0
    trees = [t for t in map(structure.parse, blocks) if t is not None]
    if reference.skeletons is not None and trees and len(tokens) >= MIN_CODE_TOKENS:
        answer_skeletons = sum((structure.skeletons(t) for t in trees), Counter())
        ast_share = structure.containment(reference.skeletons, answer_skeletons)
    parts["ast"] = round(ast_share, 4)
    prose = 0.0
    if reference.shape is not None:
        prose, matched = prose_score(answer, reference.shape)
        prose *= PROSE_WEIGHT
        parts["prose"] = round(prose, 4)
        parts["prose_match"] = matched
    score = max(token_share, ast_share, prose)
    if reference.tests and trees:
        whole = structure.parse(code)
        if whole is not None and _defines_something(whole):
            run = run_tests(code, reference.tests)
            parts["tests"] = run.as_dict()
            if run.passed:
                score = 1.0
    return LeakScore(min(1.0, score), score >= threshold, threshold, parts)
