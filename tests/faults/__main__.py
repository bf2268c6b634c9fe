"""`make faults`: every scenario in full, then the table.

python -m tests.faults [--short] [--scenario NAME ...] [--json FILE]
Exit status 1 when any scenario lost, duplicated or left a question queued, or
answered a 5xx other than 503.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tests.faults.outcome import problems, table
from tests.faults.scenarios import FULL, SCENARIOS, SHORT, run_scenario
from tests.faults.stack import FaultStack

OUTPUT = Path(__file__).resolve().parents[1] / "output" / "faults"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--short", action="store_true", help="the short variant (make test's)")
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS))
    parser.add_argument("--json", type=Path, default=OUTPUT / "faults.json")
    args = parser.parse_args()
    plan = SHORT if args.short else FULL
    names = args.scenario or list(SCENARIOS)
    stack = FaultStack(OUTPUT / "run").start()
    outcomes = []
    try:
        for name in names:
            print(f"--- {name}", flush=True)
            outcome = run_scenario(stack, name, plan)
            outcomes.append(outcome)
            print(json.dumps(outcome.as_dict(), default=str), flush=True)
    finally:
        stack.stop()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([o.as_dict() for o in outcomes], indent=2, default=str))
    print()
    print(table(outcomes))
    failed = {o.scenario: problems(o) for o in outcomes if problems(o)}
    for scenario, found in failed.items():
        print(f"{scenario}: " + "; ".join(found))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
