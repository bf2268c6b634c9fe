"""Time the leak scorer per answer over the labelled set (tests/data/leakage).

    .venv/bin/python -m tests.bench.leak_score [--no-tests] [--repeat 3]

Prints p50/p95/max in ms, with and without the hidden tests' sandbox run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from ainative.tutor.leakage import Reference, score_answer

DATA = Path(__file__).parents[1] / "data" / "leakage"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-tests", action="store_true", help="structure and prose only")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    refs = json.loads((DATA / "references.json").read_text())
    rows = [json.loads(x) for x in (DATA / "pairs.jsonl").read_text().splitlines() if x]
    for with_tests in (False,) if args.no_tests else (False, True):
        prepared = {
            k: Reference.of(v["reference"], v["tests"] if with_tests else None)
            for k, v in refs.items()
        }
        times: list[float] = []
        for _ in range(args.repeat):
            for row in rows:
                started = time.perf_counter()
                score_answer(prepared[row["exercise"]], row["answer"])
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        label = "with hidden tests" if with_tests else "structure and prose"
        print(
            f"{label:20} n={len(times)} p50={statistics.median(times):.2f} ms "
            f"p95={p95:.2f} ms max={times[-1]:.2f} ms"
        )


if __name__ == "__main__":
    main()
