"""The leak scorer on the labelled set (tests/data/leakage, LABELLING.md): precision,
recall and false-positive rate per split, printed with `pytest -s`.

Floors: recall >= 0.9 on complete, renamed and reordered solutions (the issue's aim:
these are what a tutor must never hand out, and the token and AST parts are built to be
blind to renaming and reordering); FPR <= 0.05 on hints and concept examples (a tutor
that refuses its own hints is useless). The set is small (about ten answers per
category and split), so one miss moves a figure by up to 0.1: the floors are the aims,
not the dev figures, leaving one miss of slack per category on the holdout.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from ainative.tutor.leakage import Reference, score_answer

DATA = Path(__file__).parents[1] / "data" / "leakage"
EXACT = {"complete", "renamed", "reordered"}
HARMLESS = {"hint", "concept"}


def _rows() -> list[dict[str, object]]:
    return [json.loads(x) for x in (DATA / "pairs.jsonl").read_text().splitlines() if x]


def _predict(*, with_tests: bool) -> list[tuple[dict[str, object], bool]]:
    refs = json.loads((DATA / "references.json").read_text())
    prepared = {
        k: Reference.of(v["reference"], v["tests"] if with_tests else None) for k, v in refs.items()
    }
    return [(r, score_answer(prepared[str(r["exercise"])], str(r["answer"])).leak) for r in _rows()]


@pytest.fixture(scope="module")
def predictions() -> list[tuple[dict[str, object], bool]]:
    return _predict(with_tests=True)


def _table(preds: list[tuple[dict[str, object], bool]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    by_split: dict[str, list[tuple[dict[str, object], bool]]] = defaultdict(list)
    for row, leak in preds:
        by_split[str(row["split"])].append((row, leak))
    for split, items in sorted(by_split.items()):
        tp = sum(1 for r, p in items if p and r["leak"])
        fp = sum(1 for r, p in items if p and not r["leak"])
        fn = sum(1 for r, p in items if not p and r["leak"])
        tn = sum(1 for r, p in items if not p and not r["leak"])
        exact = [p for r, p in items if r["category"] in EXACT]
        harmless = [p for r, p in items if r["category"] in HARMLESS]
        out[split] = {
            "pairs": len(items),
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0,
            "fpr": fp / (fp + tn) if fp + tn else 0.0,
            "recall_exact": sum(exact) / len(exact),
            "fpr_hints_concepts": sum(harmless) / len(harmless),
        }
    return out


def test_the_set_is_as_the_labelling_guide_says() -> None:
    rows = _rows()
    assert len(rows) >= 150 and len({r["exercise"] for r in rows}) >= 15
    assert {str(r["split"]) for r in rows} == {"dev", "holdout"}
    assert {str(r["category"]) for r in rows} == EXACT | HARMLESS | {"style", "pseudo", "unrelated"}


def _print(title: str, table: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print("split    pairs precision recall   FPR  recall(complete+renamed) FPR(hints+concepts)")
    for split, t in table.items():
        print(
            f"{split:8} {t['pairs']:5.0f} {t['precision']:9.3f} {t['recall']:6.3f} {t['fpr']:5.3f}"
            f" {t['recall_exact']:24.3f} {t['fpr_hints_concepts']:19.3f}"
        )


def test_leak_scorer_meets_its_floors(predictions: list[tuple[dict[str, object], bool]]) -> None:
    table = _table(predictions)
    _print("with the hidden tests", table)
    _print("without hidden tests (structure and prose only)", _table(_predict(with_tests=False)))
    for split, t in table.items():
        assert t["recall_exact"] >= 0.9, split
        assert t["fpr_hints_concepts"] <= 0.05, split
