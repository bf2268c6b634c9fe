"""The staff console's live lab view under a lab's load (issue 21's second target).

`lab-console` runs the `lab` scenario's workload again while course staff keep the live
view open: each watcher asks `GET /api/v1/courses/{id}/live` once a second, as the
console's page does through the console (the console's own hop is one local HTTP call,
not measured here). Two figures:

- how far the view is behind: for every question, the time from the moment the student
  sent it to the first snapshot whose `questions` count for that student includes it;
- what watching costs the students: the lab's overhead p50 in this scenario against the
  `lab` scenario of the same run (same students, same think times, same fake LLM).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ainative.auth.tokens import issue_access_token
from ainative.config import Settings
from tests.bench.lab import report
from tests.bench.lab.measure import Lab, measured, run_all
from tests.bench.lab.students import Student, unique_question

WATCHERS = 2  # an instructor and a teaching assistant
POLL_EVERY = 1.0  # seconds, as the console's live page


@dataclass(frozen=True)
class BenchCourse:
    id: int
    staff: Student


def enrol_in_course(database_url: str, students: list[Student], settings: Settings) -> BenchCourse:
    """A course with every simulated student in it and an instructor with a token.

    Real labs are courses: every question is bound to one (tutor/course_rule.py), so the
    whole run, not only `lab-console`, asks inside it. No quota in its policy: the stack
    raises the default out of the way.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from ainative.course import courses
    from ainative.db.engine import session_scope

    tag = uuid.uuid4().hex[:6]
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with session_scope(engine) as session:
            course = courses.create_course(session, code=f"LAB-{tag}", title="Bench lab")
            session.flush()
            row = session.execute(
                text(
                    "INSERT INTO users (email, username, password_hash, roles) "
                    "VALUES (:e, :u, 'x', ARRAY['instructor']) RETURNING id"
                ),
                {"e": f"lab{tag}staff@example.org", "u": f"lab{tag}staff"},
            ).one()
            courses.add_member(session, course_id=course.id, user_id=row.id, role="instructor")
            for student in students:
                courses.add_member(session, course_id=course.id, user_id=student.id, role="student")
            course_id = course.id
    finally:
        engine.dispose()
    username = f"lab{tag}staff"
    token = issue_access_token(row.id, username, ["instructor"], settings).token
    return BenchCourse(course_id, Student(row.id, username, token))


@dataclass
class Watch:
    """What the watchers saw: per snapshot, when it arrived and each student's count."""

    snapshots: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, key: str) -> None:
        self.errors[key] = self.errors.get(key, 0) + 1


async def watch(
    session: aiohttp.ClientSession, url: str, staff: Student, stop: asyncio.Event, seen: Watch
) -> None:
    """Ask for the live view once a second until `stop`, as the console's page does."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            async with session.get(url, headers=staff.headers) as response:
                body = await response.json() if response.status == 200 else None
                if body is None:
                    seen.error(str(response.status))
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            seen.error(type(exc).__name__)
            body = None
        now = time.perf_counter()
        if body is not None:
            seen.latencies.append(now - started)
            counts = {s["username"]: int(s["questions"]) for s in body.get("students", [])}
            seen.snapshots.append((now, counts))
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, POLL_EVERY - (now - started)))
        except TimeoutError:
            pass


def behind(asked: list[tuple[str, int, float]], seen: Watch) -> list[float]:
    """For each (student, n-th question, sent at): seconds until a snapshot counted it."""
    snapshots = sorted(seen.snapshots)
    delays = []
    for username, nth, sent_at in asked:
        for at, counts in snapshots:
            if at >= sent_at and counts.get(username, 0) >= nth:
                delays.append(at - sent_at)
                break
    return delays


async def lab_console_scenario(lab: Lab) -> dict[str, Any]:
    """The `lab` workload with WATCHERS staff keeping the live view open."""
    course = lab.course
    assert course is not None, "run_scenarios enrols the students first"
    students, questions, latency = lab.count(300), 3, lab.latency
    think = lab.seconds(10.0, 0.5)
    url = f"{lab.client.api_url}/api/v1/courses/{course.id}/live?minutes=15"
    seen, stop = Watch(), asyncio.Event()
    asked: list[tuple[str, int, float]] = []
    base: dict[str, int] = {}
    async with lab.client.session.get(url, headers=course.staff.headers) as response:
        if response.status == 200:
            first = await response.json()
            base = {s["username"]: int(s["questions"]) for s in first.get("students", [])}
    watchers = [
        asyncio.ensure_future(watch(lab.client.session, url, course.staff, stop, seen))
        for _ in range(WATCHERS)
    ]
    floor = await report_floor(lab, students, latency)
    async with measured(lab, latency) as w:

        async def student(i: int) -> None:
            me = lab.student(i)
            await asyncio.sleep(lab.rng.uniform(0, think))
            for q in range(questions):
                if q:
                    await asyncio.sleep(lab.rng.uniform(0, think))
                asked.append((me.username, base.get(me.username, 0) + q + 1, time.perf_counter()))
                await lab.client.ask(me, unique_question(f"console s{i} q{q}"), w.rec)

        w.timed_out = await run_all([student(i) for i in range(students)], lab.scenario_timeout)
        await asyncio.sleep(2 * POLL_EVERY)  # the last questions' snapshots
    stop.set()
    await asyncio.gather(*watchers, return_exceptions=True)
    delays = behind(asked, seen)
    extra = {
        "students": students,
        "questions_each": questions,
        "watchers": WATCHERS,
        "live_polls": len(seen.latencies),
        "live_errors": seen.errors,
        "live_request_ms": report.percentiles(seen.latencies),
        "view_behind_ms": report.percentiles(delays),
        "questions_seen": len(delays),
        "questions_sent": len(asked),
    }
    return report.summarize(w, students * questions, floor, extra)


async def report_floor(lab: Lab, students: int, latency: float) -> dict[str, Any]:
    from tests.bench.lab.scenarios import floor_burst

    return await floor_burst(lab, students, latency, spread=1.0)
