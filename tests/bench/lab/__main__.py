"""`make bench-lab` = `python -m tests.bench.lab`: the platform under a lab's load.

    python -m tests.bench.lab                                  # every scenario, full size
    python -m tests.bench.lab --scenario burst --env WORKER_CONCURRENCY=200
    python -m tests.bench.lab --scale 0.1 --workers 2          # smaller, two workers

Starts the real processes (see stack.py), creates the students, times each part of a
question alone (floors.py; --no-floors skips it), runs the scenarios in order (lab,
lab-console, burst, saturation, cache, stream, stream-burst, idle), prints a table and
writes the figures as JSON. Numbers, not pass/fail: compare two runs on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.lab import procstats, report
from tests.bench.lab.console import enrol_in_course
from tests.bench.lab.floors import floors
from tests.bench.lab.measure import Lab
from tests.bench.lab.scenarios import SCENARIOS, recover, warm_up
from tests.bench.lab.stack import LabStack
from tests.bench.lab.students import Client, create_students
from tests.stack import REPO_ROOT

OUTPUT = REPO_ROOT / "tests" / "output"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.lab",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        help="run only this scenario (repeatable); default: all",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="shrink students and durations")
    parser.add_argument("--latency", type=float, default=2.0, help="fake LLM latency L, lab/burst")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the platform's processes (repeatable)",
    )
    parser.add_argument("--question-timeout", type=float, default=120.0, help="seconds")
    parser.add_argument("--scenario-timeout", type=float, default=180.0, help="seconds")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="py-spy the API and worker in each measured window; raw stacks and hot spots in DIR",
    )
    parser.add_argument(
        "--floors",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="first time each part of a question alone (floors.py); default: on",
    )
    parser.add_argument("--json", type=Path, default=OUTPUT / "bench_load.json")
    parser.add_argument("--logs", type=Path, default=OUTPUT / "bench_load_logs")
    parser.add_argument(
        "--report", type=Path, metavar="JSON", help="only print the table of an earlier run"
    )
    args = parser.parse_args(argv)
    for item in args.env:
        if "=" not in item:
            parser.error(f"--env wants NAME=VALUE, got {item!r}")
    return args


def _env(items: list[str]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in items)


def _loop_factory() -> Any:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def run_scenarios(stack: LabStack, args: argparse.Namespace) -> dict[str, Any]:
    names = [n for n in SCENARIOS if n in (args.scenario or SCENARIOS)]
    needed = max(2, round(500 * args.scale))
    students = await asyncio.to_thread(create_students, stack.database_url, needed, stack.settings)
    course = await asyncio.to_thread(enrol_in_course, stack.database_url, students, stack.settings)
    client = Client(stack.api_url, args.question_timeout)
    lab = Lab(
        stack=stack,
        client=client,
        students=students,
        scale=args.scale,
        latency=args.latency,
        question_timeout=args.question_timeout,
        scenario_timeout=args.scenario_timeout,
        roots=stack.roots(),
        course=course,
        profile_dir=args.profile,
    )
    results: dict[str, Any] = {}
    parts: dict[str, Any] | None = None
    try:
        warm = await warm_up(lab)
        quiet = await asyncio.to_thread(procstats.wait_quiet, lab.roots)
        _say(f"warmed up: {warm}; processes quiet: {quiet}")
        if args.floors:
            _say("floors ...")
            parts = await floors(lab)
            _say(f"floors: {parts['cpu_ms_per_question']} ms of CPU per question")
            await asyncio.to_thread(procstats.wait_quiet, lab.roots)
        for i, name in enumerate(names):
            _say(f"{name} ...")
            lab.scenario = name
            results[name] = await SCENARIOS[name](lab)
            _say(f"{name}: {results[name]['answered']} answered, errors {results[name]['errors']}")
            if i < len(names) - 1:
                results[name]["aftermath"] = after = await recover(lab, results[name]["latency_s"])
                _say(f"after {name}: {after}")
    finally:
        await client.close()
    return {"warmup": warm, "floors": parts, "scenarios": results}


def _say(message: str) -> None:
    print(f"[lab {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report:
        print(report.format_report(json.loads(args.report.read_text())))
        return 0
    args.logs.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="ainative-lab-") as tmp:
        stack = LabStack(Path(tmp), args.logs, _env(args.env), args.workers)
        try:
            _say("starting the stack ...")
            stack.start()
            _say(f"stack up: {stack.api_url}")
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                outcome = runner.run(run_scenarios(stack, args))
        finally:
            stack.stop()
    run = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
        },
        "config": {
            "scale": args.scale,
            "latency_s": args.latency,
            "workers": args.workers,
            "env": _env(args.env),
            "question_timeout_s": args.question_timeout,
            "scenario_timeout_s": args.scenario_timeout,
            "wall_s": round(time.time() - started),
        },
        "warmup": outcome["warmup"],
        "floors": outcome["floors"],
        "scenarios": outcome["scenarios"],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(run, indent=2))
    print(report.format_report(run))
    print(f"\nJSON: {args.json}   logs: {args.logs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
