"""`ainative leakage score`: how much of a reference solution one answer gives away.

    ainative leakage score --reference REF.py --answer ANSWER.md [--tests TESTS.py] \\
        [--threshold 0.5]

prints one JSON object (`score` 0-1, `leak`, `threshold`, `parts`) and exits 0, so
anyone can evaluate the scorer (ainative.tutor.leakage) on their own pairs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("leakage", help="score answers against a reference solution")
    cmds = p.add_subparsers(dest="leakage_command", required=True)
    s = cmds.add_parser("score", help="score one answer; prints one JSON object")
    s.add_argument("--reference", required=True, type=Path, help="the reference solution (.py)")
    s.add_argument("--answer", required=True, type=Path, help="the answer (markdown or text)")
    s.add_argument("--tests", type=Path, help="hidden tests (asserts or test_* functions)")
    s.add_argument("--threshold", type=float, default=None, help="leak above this (0-1)")
    s.set_defaults(func=run_score)


def run_score(args: argparse.Namespace) -> int:
    from ainative.tutor.leakage import LEAK_THRESHOLD, Reference, score_answer

    try:
        reference = args.reference.read_text(encoding="utf-8")
        answer = args.answer.read_text(encoding="utf-8")
        tests = args.tests.read_text(encoding="utf-8") if args.tests else None
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    threshold = LEAK_THRESHOLD if args.threshold is None else args.threshold
    if not 0 <= threshold <= 1:
        print("error: --threshold must be between 0 and 1", file=sys.stderr)
        return 2
    result = score_answer(Reference.of(reference, tests), answer, threshold=threshold)
    print(json.dumps(result.as_dict()))
    return 0
