"""`python -m tests.bench.live_view`: what one call of the staff console's views costs.

A 300-student course with a term behind it (20,000 interactions, 200,000 cell runs over
ten weeks) and a lab's last 15 minutes in front (every student runs a cell every ~20 s
and asks ~5 questions: 13,500 runs, 1,500 questions). Times, over `--repeat` calls:

- live: the two window queries (`staff_views.live_window`) + `analytics.live`, i.e.
  what `GET courses/{id}/live` does besides HTTP and authentication;
- questions: one page of `GET courses/{id}/interactions` (50 newest, and a filtered one).

Figures, not a pass/fail test. Uses DATABASE_URL's server when set (a database of its
own, dropped afterwards), else an embedded PostgreSQL in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

STUDENTS, WINDOW = 300, timedelta(minutes=15)
ERRORS = ("NameError", "TypeError", "IndexError", "SyntaxError", "KeyError")
KINDS = ("debugging", "conceptual", "implementation", "solution-request", "off-topic")


def _seed(url: str, *, history: int, history_runs: int) -> int:
    """The course and its trace, by COPY-free bulk INSERTs; the course id."""
    engine = create_engine(url)
    now, rng = datetime.now(UTC), random.Random(21)
    with engine.begin() as conn:
        course = conn.execute(
            text("INSERT INTO courses (code, title) VALUES ('LAB', 'Lab') RETURNING id")
        ).scalar_one()
        users = [{"e": f"s{n}@example.org", "u": f"s{n}", "h": "x"} for n in range(STUDENTS)]
        conn.execute(
            text("INSERT INTO users (email, username, password_hash) VALUES (:e, :u, :h)"), users
        )
        ids = [r[0] for r in conn.execute(text("SELECT id FROM users ORDER BY id"))]
        conn.execute(
            text("INSERT INTO memberships (course_id, user_id, role) VALUES (:c, :u, 'student')"),
            [{"c": course, "u": u} for u in ids],
        )

        def interaction(at: datetime) -> dict[str, Any]:
            return {
                "id": uuid.uuid4(),
                "u": rng.choice(ids),
                "c": course,
                "p": "Why does my loop print the wrong index?",
                "a": "Look at where the loop starts.",
                "k": rng.choice(KINDS),
                "g": rng.choice(("passed", "passed", "rewritten")),
                "t": at,
            }

        def run(user: int, at: datetime) -> dict[str, Any]:
            ok = rng.random() < 0.6
            error = None if ok else rng.choice(ERRORS)
            payload = json.dumps({"success": ok, "error_type": error})
            return {"u": user, "c": course, "t": at, "p": payload}

        term = [
            now - WINDOW - timedelta(seconds=rng.uniform(0, 70 * 86400)) for _ in range(history)
        ]
        lab = [now - timedelta(seconds=rng.uniform(0, WINDOW.total_seconds())) for _ in range(1500)]
        asked = [interaction(t) for t in term + lab]
        conn.execute(
            text(
                "INSERT INTO interactions (id, user_id, course_id, mode, prompt, answer,"
                " status, classification, guardrail, created_at)"
                " VALUES (:id, :u, :c, 'socratic', :p, :a, 'done', :k, :g, :t)"
            ),
            asked,
        )
        runs = [
            run(rng.choice(ids), now - WINDOW - timedelta(seconds=rng.uniform(0, 70 * 86400)))
            for _ in range(history_runs)
        ]
        runs += [run(u, now - timedelta(seconds=s)) for u in ids for s in range(5, 900, 20)]
        conn.execute(
            text(
                "INSERT INTO events (event_type, user_id, course_id, occurred_at, payload)"
                " VALUES ('cell.executed', :u, :c, :t, CAST(:p AS jsonb))"
            ),
            runs,
        )
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return int(course)


def _timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    fn()  # warm the caches and the connection
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
    }


def run(url: str, *, repeat: int, history: int, history_runs: int) -> dict[str, Any]:
    from ainative.course import staff_views
    from analytics.live import frames, live_rows

    course = _seed(url, history=history, history_runs=history_runs)
    engine = create_engine(url)
    figures: dict[str, Any] = {}
    sizes: dict[str, int] = {}

    def window() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        with Session(engine) as session:
            since = datetime.now(UTC) - WINDOW
            return staff_views.live_window(session, course_id=course, since=since)

    asked, runs = window()
    sizes.update(window_questions=len(asked), window_runs=len(runs))
    view = live_rows(*frames(asked, runs), now=datetime.now(UTC))
    sizes["active_students"] = len(view["students"])
    figures["live_queries"] = _timed(window, repeat)
    figures["live_analytics"] = _timed(
        lambda: live_rows(*frames(asked, runs), now=datetime.now(UTC)), repeat
    )
    figures["live_total"] = _timed(
        lambda: live_rows(*frames(*window()), now=datetime.now(UTC)), repeat
    )

    def page(**where: Any) -> object:
        with Session(engine) as session:
            return staff_views.list_interactions(
                session,
                course_id=course,
                where=staff_views.InteractionFilter(**where),
                limit=50,
            )

    figures["questions_page"] = _timed(page, repeat)
    figures["questions_solution_requests"] = _timed(
        lambda: page(classification="solution-request"), repeat
    )
    figures["members_activity"] = _timed(
        lambda: _in_session(engine, staff_views.roster_activity, course_id=course), repeat
    )
    engine.dispose()
    return {"sizes": sizes, "figures": figures, "repeat": repeat}


def _in_session(engine: Any, fn: Callable[..., object], **kwargs: Any) -> object:
    with Session(engine) as session:
        return fn(session, **kwargs)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.live_view")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--history", type=int, default=20_000, help="the term's interactions")
    parser.add_argument("--history-runs", type=int, default=200_000)
    args = parser.parse_args()

    from ainative.db.migrate import upgrade
    from ainative.runtime.devservices import EmbeddedPostgres
    from tests.stack import admin_execute, database_url_for

    server, tmp = None, tempfile.TemporaryDirectory(prefix="ainative-bench-live-")
    base_url = os.environ.get("DATABASE_URL", "")
    try:
        if not base_url:
            server = EmbeddedPostgres(Path(tmp.name) / "pg")
            base_url = server.start()
        name = f"ainative_live_{uuid.uuid4().hex[:8]}"
        admin_execute(base_url, f'CREATE DATABASE "{name}"')
        try:
            url = database_url_for(base_url, name)
            upgrade(url)
            result = run(
                url, repeat=args.repeat, history=args.history, history_runs=args.history_runs
            )
        finally:
            admin_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        if server is not None:
            server.stop()
        tmp.cleanup()
    print(result["sizes"])
    for what, figure in result["figures"].items():
        print(f"{what:30s} p50 {figure['p50_ms']:7.1f} ms   p95 {figure['p95_ms']:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
