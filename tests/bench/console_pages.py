"""`python -m tests.bench.console_pages` (`make bench-console`): the staff console's pages
as an instructor's browser gets them, for a course of 300 students and 20,000 interactions.

Issue 21's first target: the course page renders in <= 300 ms p95 on this machine. The whole
path is timed: the hub's proxy, the console (hub OAuth cookie, its console token), the API
calls the page makes, their queries, and the Jinja rendering. The baseline, measured in the
same run on the same processes, is the same pages of a course of 3 students and no
questions: the ratio says what the course's size costs.

The stack is the lab benchmark's (tests/bench/lab/stack.py: embedded PostgreSQL and Redis
unless DATABASE_URL / REDIS_URL are set, the API, a worker, the fake LLM) plus a hub with
configurable-http-proxy and the console, started as the e2e tests start them. The term's
trace is tests/bench/live_view.py's seed (20,000 interactions, 200,000 cell runs, and a lab's
last 15 minutes for the live view). Figures, not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.bench.lab.stack import LabStack
from tests.bench.live_view import _seed
from tests.e2e.conftest import running_hub
from tests.e2e.console import PREFIX, running_console
from tests.stack import REPO_ROOT
from tests.support.api import register_user

# What an instructor opens, and what the live page fetches every second.
PAGES = ("", "/questions", "/live", "/live.json")


def _staff_course(database_url: str, instructor_id: int, course_id: int) -> int:
    """The instructor on the big course, and a baseline course of three of its students."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO memberships (course_id, user_id, role) VALUES (:c, :u, :r)"),
                {"c": course_id, "u": instructor_id, "r": "instructor"},
            )
            base = conn.execute(
                text("INSERT INTO courses (code, title) VALUES ('BASE', 'Baseline') RETURNING id")
            ).scalar_one()
            students = conn.execute(
                text(
                    "SELECT user_id FROM memberships WHERE course_id = :c AND role = 'student' "
                    "ORDER BY user_id LIMIT 3"
                ),
                {"c": course_id},
            ).scalars()
            rows = [{"c": base, "u": u, "r": "student"} for u in students]
            rows.append({"c": base, "u": instructor_id, "r": "instructor"})
            conn.execute(
                text("INSERT INTO memberships (course_id, user_id, role) VALUES (:c, :u, :r)"), rows
            )
    finally:
        engine.dispose()
    return int(base)


def _timed(client: httpx.Client, url: str, repeat: int) -> dict[str, float]:
    for _ in range(3):  # warm: the console's token, connections, template caches
        client.get(url).raise_for_status()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        r.raise_for_status()
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "bytes": len(r.content),
    }


def run(repeat: int, history: int, history_runs: int, workdir: Path) -> dict[str, Any]:
    output = REPO_ROOT / "tests" / "output" / "bench-console"
    output.mkdir(parents=True, exist_ok=True)
    lab = LabStack(workdir, output / "logs").start()
    try:
        assert lab.stack is not None
        started = time.monotonic()
        course = _seed(lab.database_url, history=history, history_runs=history_runs)
        seeded_s = time.monotonic() - started
        with httpx.Client(base_url=lab.api_url, timeout=30) as api:
            instructor = register_user(api, lab.database_url, ("instructor",), consent=False)
        base = _staff_course(lab.database_url, instructor.id, course)
        with (
            running_hub(lab.stack, workdir / "hub-data") as hub,
            running_console(hub, workdir) as console,
        ):
            client = console.session(instructor.username, instructor.password)
            client.get(PREFIX).raise_for_status()  # the console's OAuth round trip
            figures: dict[str, Any] = {}
            for page in PAGES:
                big = _timed(client, f"{PREFIX}courses/{course}{page}", repeat)
                small = _timed(client, f"{PREFIX}courses/{base}{page}", repeat)
                figures[page or "/ (roster)"] = {
                    "300 students": big,
                    "baseline (3 students)": small,
                    "ratio_p50": round(big["p50_ms"] / max(small["p50_ms"], 0.1), 2),
                }
    finally:
        lab.stop()
    return {
        "repeat": repeat,
        "history_interactions": history,
        "history_runs": history_runs,
        "seed_s": round(seeded_s, 1),
        "pages": figures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.console_pages")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--history", type=int, default=20_000, help="the term's interactions")
    parser.add_argument("--history-runs", type=int, default=200_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ainative-bench-console-") as tmp:
        result = run(args.repeat, args.history, args.history_runs, Path(tmp))
    print(
        f"{'page':<14} {'300 p50':>9} {'300 p95':>9} {'base p50':>9} {'base p95':>9} {'ratio':>6}"
    )
    for page, row in result["pages"].items():
        big, small = row["300 students"], row["baseline (3 students)"]
        print(
            f"{page:<14} {big['p50_ms']:>9} {big['p95_ms']:>9} {small['p50_ms']:>9} "
            f"{small['p95_ms']:>9} {row['ratio_p50']:>6}"
        )
    print(json.dumps(result, indent=2), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
