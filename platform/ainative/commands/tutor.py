"""`ainative tutor eval`: measure the tutor on a fixed set of buggy cells before a course adopts it.

    ainative tutor eval --cases tests/data/tutor_cases.jsonl --run
    ainative tutor eval --cases cases.jsonl --run --provider openai --model gpt-4o-mini --json

Each case goes through the pipeline of a student's question (prompt, provider,
guardrail) without the queue; see ainative.tutor.evaluation.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

RUN_HELP = (
    "EXECUTE each case's code in a fresh in-process IPython shell with the widget's capture, "
    "so the context (code, error, explanation) is what a student's kernel sends; "
    "only use it on case files you trust"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tutor", help="evaluate the tutor on a set of cases")
    cmds = p.add_subparsers(dest="tutor_command", required=True)
    e = cmds.add_parser(
        "eval",
        help="answer every case of a JSON-lines file and report grounding, leaks, latency",
        description="Answer every case (id, code, question, mode, optional error, reference, "
        "expect) like a student's question and report how grounded the answers are.",
    )
    e.add_argument("--cases", required=True, type=Path, help="a JSON-lines file of cases")
    e.add_argument("--run", action="store_true", help=RUN_HELP)
    e.add_argument(
        "--provider",
        choices=("offline", "openai", "explanation"),
        help="default: LLM_PROVIDER; explanation: the arm without a model",
    )
    e.add_argument("--model", help="default: the provider's (LLM_MODEL for openai)")
    e.add_argument("--json", action="store_true", help="one JSON object per case, then the summary")
    e.set_defaults(func=run_eval)


def _cell(value: Any, width: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _mark(value: Any) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def print_table(results: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    head = f"{'case':<28} {'mode':<13} {'grounded':<8} {'expl':<4} {'code+':<5} {'ms':>6}  answer"
    print(head)
    print("-" * len(head))
    for r in results:
        explained = "yes" if r["context"].get("explanation") else "-"
        print(
            f"{_cell(r['id'], 28):<28} {r['mode']:<13} {_mark(r['grounded']):<8} "
            f"{explained:<4} {len(r['code_not_in_cell']):<5} {r['latency_ms']:>6}  "
            f"{_cell(r['answer'], 60)}"
        )
    print()
    for key, value in summary.items():
        print(f"{key}: {value}")


def run_eval(args: argparse.Namespace) -> int:
    from ainative.config import get_settings
    from ainative.tutor.evaluation import CaseError, evaluate, load_cases, summarize

    try:
        cases = load_cases(args.cases)
    except (OSError, CaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    results = []
    for result in evaluate(
        cases, run=args.run, settings=get_settings(), provider=args.provider, model=args.model
    ):
        results.append(result)
        if args.json:
            print(json.dumps(result), flush=True)
    summary = vars(summarize(results))
    if args.json:
        print(json.dumps({"summary": summary}))
    else:
        print_table(results, summary)
    return 0
