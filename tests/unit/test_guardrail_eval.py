"""Precision and recall of the guardrail and the classifier on labelled sets (tests/data/).

Print the figures with `.venv/bin/python -m pytest tests/unit/test_guardrail_eval.py -s -q`.
The floors sit a little under the figures measured when the rules were written; a change
that loses recall (a bypass comes back) or precision (legitimate help gets rewritten)
fails here. Rows marked "holdout" were written after the rules and never tuned on; their
figures are printed separately and not asserted (too few rows for a stable floor).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ainative.tutor.classify import classify
from ainative.tutor.guardrails import apply_guardrail

DATA = Path(__file__).resolve().parents[1] / "data"

# Measured: answers P 0.986 R 0.895, prompts P 0.977 R 0.955 (all rows).
FLOORS = {
    "guardrail_answers": (0.95, 0.85),
    "solution_prompts": (0.95, 0.92),
}


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def line(self, name: str) -> str:
        n = self.tp + self.fp + self.fn + self.tn
        return (
            f"{name:32} n={n:3}  precision={self.precision:.3f}  recall={self.recall:.3f}  "
            f"(tp={self.tp} fp={self.fp} fn={self.fn} tn={self.tn})"
        )


def _rows(name: str) -> list[dict[str, Any]]:
    lines = (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _score(
    rows: list[dict[str, Any]], label: str, predict: Callable[[dict[str, Any]], bool]
) -> Score:
    pairs = [(predict(row), bool(row[label])) for row in rows]
    return Score(
        tp=sum(p and y for p, y in pairs),
        fp=sum(p and not y for p, y in pairs),
        fn=sum(y and not p for p, y in pairs),
        tn=sum(not p and not y for p, y in pairs),
    )


def _flags_answer(row: dict[str, Any]) -> bool:
    return apply_guardrail(row["answer"], "implementation").outcome == "rewritten"


def _flags_prompt(row: dict[str, Any]) -> bool:
    return classify(row["question"], row.get("context")) == "solution-request"


SETS = {
    "guardrail_answers": ("full_solution", _flags_answer),
    "solution_prompts": ("solution_request", _flags_prompt),
}


@pytest.mark.parametrize("name", sorted(SETS))
def test_precision_and_recall_stay_above_the_floors(name: str) -> None:
    label, predict = SETS[name]
    rows = _rows(name)
    score = _score(rows, label, predict)
    print()
    print(score.line(name))
    for split in ("dev", "holdout"):
        part = [row for row in rows if row["split"] == split]
        print(_score(part, label, predict).line(f"  {split}"))
    low_precision, low_recall = FLOORS[name]
    assert score.precision >= low_precision, score.line(name)
    assert score.recall >= low_recall, score.line(name)


@pytest.mark.parametrize(("name", "label"), [(n, label) for n, (label, _) in SETS.items()])
def test_the_sets_are_large_balanced_and_multilingual(name: str, label: str) -> None:
    rows = _rows(name)
    assert len(rows) >= 100 and len({row["id"] for row in rows}) == len(rows)
    positives = sum(bool(row[label]) for row in rows)
    assert 0.3 < positives / len(rows) < 0.7
    assert {"en", "es", "de", "fr", "pt"} <= {row["lang"] for row in rows}
    assert {row["split"] for row in rows} == {"dev", "holdout"}


def test_every_rewritten_answer_then_passes() -> None:
    """The rewrite removes all the code that made the answer too much, not just part of it."""
    for row in _rows("guardrail_answers"):
        result = apply_guardrail(row["answer"], "implementation")
        if result.outcome == "rewritten":
            assert apply_guardrail(result.answer, "implementation").outcome == "passed", row["id"]
