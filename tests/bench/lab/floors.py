"""The design's floors, measured in the same run: what a question costs with none of the
platform's own logic, so the saturation figure can be read as a ratio to it.

A question on this design is two HTTP requests to a Python ASGI server (ask, then read
the answer), one Celery task through Redis, and its statements in PostgreSQL through
SQLAlchemy. Each part is run alone here at the saturation scenario's concurrency:

- http: `floor_app.py` under uvicorn with the API's flags and process count; one
  question = a POST with a validated body and a GET. Counted: the server's CPU.
- celery: `send_task` from the harness's thread pool, as `ApiState.enqueue` does, to
  `floor_worker.py` (the platform's Celery app, pool, concurrency and flags; a task that
  does one INCR). Counted: the sender (the harness), the worker and Redis.
- db: the platform's own statements of one question through its own helper
  (`run_in_session`): the course lookup, the INSERT, `start_attempt`, `complete`, and
  two long-poll reads. Counted: the client side (the harness) and PostgreSQL.
- db-hit: a cache hit's statements, the lookup and the INSERT of an answered row.

http + celery + db is what a queued question costs on this design before any authentication, quota,
cache, guardrail, prompt, LLM client, notifier or log line; the report puts the
platform's CPU per answered question beside it (and half of http + db-hit beside a
cache hit's).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import redis
from sqlalchemy import Engine, event, text

from ainative.db.engine import build_engine, on_connection, run_in_session, session_scope
from ainative.runtime.devservices import free_port
from ainative.runtime.processes import KEEP_ALIVE_SECONDS, api_processes
from ainative.runtime.queue import make_celery
from ainative.tutor import course_rule, trace
from ainative.tutor import repository as repo
from ainative.tutor.streaming.long_poll import read_interaction
from tests.bench.lab import procstats
from tests.bench.lab.measure import Lab, run_all
from tests.bench.lab.students import Student, unique_question
from tests.support.platform import wait_http, wait_worker

TASK = "floor.noop"  # floor_worker.py's task
DONE_KEY = "ainative:bench:floor:done"  # counted up by each task run
CLIENTS = 64  # the saturation scenario's busiest step on this machine
FLOOR_QUEUE = "ainative-bench-floor"
SEND_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0}


def _cpu_ms(before: dict[str, float], after: dict[str, float], units: int) -> dict[str, float]:
    return {k: round((after[k] - before[k]) * 1000 / max(units, 1), 3) for k in before}


async def _closed_loop(
    clients: int, seconds: float, one: Callable[[int], Awaitable[None]]
) -> tuple[int, float]:
    """`clients` loops calling `one` for `seconds`; how many finished and how long it took."""
    done = 0
    stop_at = time.perf_counter() + seconds
    started = time.perf_counter()

    async def loop(c: int) -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await one(c)
            done += 1

    await run_all([loop(c) for c in range(clients)], seconds + 120.0)
    return done, time.perf_counter() - started


async def _measure(
    roots: dict[str, int], clients: int, seconds: float, one: Callable[[int], Awaitable[None]]
) -> dict[str, Any]:
    before = await asyncio.to_thread(procstats.cpu_snapshot, roots)
    done, took = await _closed_loop(clients, seconds, one)
    after = await asyncio.to_thread(procstats.cpu_snapshot, roots)
    return {"units": done, "per_s": round(done / took, 1), "cpu_ms": _cpu_ms(before, after, done)}


async def http_floor(lab: Lab, clients: int, seconds: float) -> dict[str, Any]:
    """Questions per second and CPU per question of two bare FastAPI requests."""
    stack = lab.stack.stack
    assert stack is not None
    port = str(free_port())
    argv = [
        *(sys.executable, "-m", "uvicorn", "tests.bench.lab.floor_app:app"),
        *("--host", "127.0.0.1", "--port", port),
        *("--workers", str(api_processes(lab.stack.settings))),
        *("--timeout-keep-alive", str(KEEP_ALIVE_SECONDS)),
        "--no-access-log",
    ]
    proc = stack.spawn("floor_http", argv)
    base = f"http://127.0.0.1:{port}/requests"
    try:
        await asyncio.to_thread(wait_http, f"{base}/{uuid.uuid4()}", 60.0, proc)
        session = lab.client.session

        async def one(c: int) -> None:
            body = {"prompt": unique_question(f"floor http {c}"), "mode": "socratic"}
            async with session.post(base, json=body) as r:
                accepted = await r.json()
            async with session.get(f"{base}/{accepted['id']}", params={"wait": "25"}) as r:
                await r.read()

        await _closed_loop(clients, 1.0, one)  # warm: connections open, imports done
        roots = {"server": proc.pid, "client": os.getpid()}
        return await _measure(roots, clients, seconds, one)
    finally:
        stack.kill("floor_http")


async def _counted(counter: redis.Redis, tasks: int, timeout: float = 120.0) -> None:
    """Until the floor worker has run `tasks` tasks (or `timeout` seconds have passed)."""
    deadline = time.monotonic() + timeout
    while int(counter.get(DONE_KEY) or 0) < tasks and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def celery_floor(lab: Lab, clients: int, seconds: float) -> dict[str, Any]:
    """Tasks per second and CPU per task of `send_task` to a worker that does one INCR."""
    stack = lab.stack.stack
    assert stack is not None
    settings = lab.stack.settings.model_copy(update={"tutor_queue": FLOOR_QUEUE})
    argv = [
        *(sys.executable, "-m", "celery", "-A", "tests.bench.lab.floor_worker", "worker"),
        *("--loglevel", "WARNING", "--pool", "threads"),
        *("--concurrency", str(settings.worker_concurrency)),
        *("--queues", FLOOR_QUEUE, "--hostname", "floor@%h"),
        *("--without-gossip", "--without-mingle"),
    ]
    proc = stack.spawn("floor_celery", argv, {"TUTOR_QUEUE": FLOOR_QUEUE})
    app = make_celery(settings)
    counter = redis.Redis.from_url(settings.redis_url)
    try:
        await asyncio.to_thread(wait_worker, settings, "floor", 90.0, proc)

        def send(i: int) -> None:
            app.send_task(TASK, args=[i], retry=True, retry_policy=SEND_RETRY)

        async def one(c: int) -> None:
            await anyio.to_thread.run_sync(send, c)

        counter.set(DONE_KEY, 0)
        warm, _ = await _closed_loop(clients, 1.0, one)  # the producer's pool and connections
        await _counted(counter, warm)
        counter.set(DONE_KEY, 0)
        roots = {"worker": proc.pid, "sender": os.getpid()}
        if "redis" in lab.roots:  # an external Redis on another host is not counted
            roots["redis"] = lab.roots["redis"]
        before = await asyncio.to_thread(procstats.cpu_snapshot, roots)
        started = time.perf_counter()
        sent, _ = await _closed_loop(clients, seconds, one)
        await _counted(counter, sent)
        took = time.perf_counter() - started
        after = await asyncio.to_thread(procstats.cpu_snapshot, roots)
        ran = int(counter.get(DONE_KEY) or 0)
        return {
            "units": ran,
            "sent": sent,
            "per_s": round(ran / took, 1),
            "cpu_ms": _cpu_ms(before, after, ran),
        }
    finally:
        app.control.purge()
        app.close()
        counter.close()
        stack.kill("floor_celery")


ANSWER = {
    "answer": "What does your loop do on its last pass?",
    "provider": "openai",
    "model": "fake-model",
    "prompt_version": "floor",
    "prompt_tokens": 40,
    "completion_tokens": 12,
    "llm_ms": 0,
    "cache_hit": False,
    "classification": "debugging",
    "guardrail": "passed",
    "guardrail_detail": {},
}
Statements = Callable[[Engine, Student, int, int], Awaitable[None]]


async def question_sql(engine: Engine, student: Student, course_id: int, c: int) -> None:
    """A queued question's statements, each in a transaction of its own, as the API and the
    worker run them: the course lookup, the INSERT, the long-poll's first read, the
    worker's start and final write, the long-poll's read after the wake-up."""
    who = {"user_id": student.id, "roles": ("student",)}
    await run_in_session(engine, on_connection(course_rule.lookup), student.id, None, None)
    row = await run_in_session(
        engine,
        on_connection(repo.insert_interaction),
        user_id=student.id,
        course_id=course_id,
        mode="socratic",
        prompt=unique_question(f"floor db {c}"),
    )
    assert row is not None
    await run_in_session(engine, on_connection(read_interaction), row["id"], **who)
    await run_in_session(engine, on_connection(trace.start_attempt), str(row["id"]))
    await run_in_session(engine, on_connection(trace.complete), str(row["id"]), **ANSWER)
    await run_in_session(engine, on_connection(read_interaction), row["id"], **who)


async def hit_sql(engine: Engine, student: Student, course_id: int, c: int) -> None:
    """A cache hit's statements: the course lookup and the INSERT of the answered row."""
    await run_in_session(engine, on_connection(course_rule.lookup), student.id, None, None)
    values = {**ANSWER, "cache_hit": True}
    row = await run_in_session(
        engine,
        on_connection(repo.insert_interaction),
        user_id=student.id,
        course_id=course_id,
        mode="socratic",
        prompt=unique_question(f"floor hit {c}"),
        status="done",
        queue_ms=0,
        total_ms=1,
        first_turn_only=True,
        **values,
    )
    assert row is not None


def db_part(statements: Statements) -> Callable[[Lab, int, float], Awaitable[dict[str, Any]]]:
    """CPU per unit of `statements` through the platform's engine and `run_in_session`."""

    async def part(lab: Lab, clients: int, seconds: float) -> dict[str, Any]:
        assert lab.course is not None, "the floors need the lab's course"
        course_id = lab.course.id
        engine = build_engine(lab.stack.settings, lab.stack.database_url)

        async def one(c: int) -> None:
            await statements(engine, lab.student(c), course_id, c)

        try:
            await _closed_loop(clients, 1.0, one)  # warm: the pool is filled
            roots = {"client": os.getpid()}
            if "postgres" in lab.roots:
                roots["postgres"] = lab.roots["postgres"]
            return await _measure(roots, clients, seconds, one)
        finally:
            engine.dispose()

    return part


STATEMENTS = ("lookup", "insert", "read", "start_attempt", "complete", "read again")


def _on_cpu_s(proc: Path) -> float:
    """A process's time on a CPU in seconds, to the nanosecond (schedstat; /stat counts ticks)."""
    return int((proc / "schedstat").read_text().split()[0]) / 1e9


PLANS = 21  # EXPLAIN ANALYZE runs per statement; the median is kept


def statement_costs(lab: Lab, questions: int) -> dict[str, dict[str, float]]:
    """Each statement of `question_sql` alone: the client's CPU (this thread, Session and
    transaction included, the thread hop not) and its backend's, in microseconds; then
    PostgreSQL's own planning and execution time of each (EXPLAIN ANALYZE, rolled back).

    One thread on one pooled connection, so the backend is always the same process.
    """
    assert lab.course is not None
    settings = lab.stack.settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})
    engine = build_engine(settings, lab.stack.database_url)
    totals = {name: [0.0, 0.0] for name in STATEMENTS}
    sent: list[tuple[str, str, Any]] = []  # the first question's SQL, by statement
    current = [""]

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if not statement.startswith("EXPLAIN"):
            sent.append((current[0], statement, params))

    try:
        with engine.connect() as conn:
            backend = Path(f"/proc/{conn.execute(text('SELECT pg_backend_pid()')).scalar()}")

        def timed(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            current[0] = name
            server, client = _on_cpu_s(backend), time.thread_time()
            with session_scope(engine) as session:
                result = fn(session.connection(), *args, **kwargs)
            client_s = time.thread_time() - client
            totals[name][0] += client_s
            totals[name][1] += _on_cpu_s(backend) - server
            return result

        for i in range(questions):
            student = lab.student(i)
            who = {"user_id": student.id, "roles": ("student",)}
            if i == 0:
                event.listen(engine, "before_cursor_execute", record)
            timed("lookup", course_rule.lookup, student.id, None, None)
            row = timed(
                "insert",
                repo.insert_interaction,
                user_id=student.id,
                course_id=lab.course.id,
                mode="socratic",
                prompt=unique_question(f"floor statement {i}"),
            )
            timed("read", read_interaction, row["id"], **who)
            timed("start_attempt", trace.start_attempt, str(row["id"]))
            timed("complete", trace.complete, str(row["id"]), **ANSWER)
            timed("read again", read_interaction, row["id"], **who)
            if i == 0:
                event.remove(engine, "before_cursor_execute", record)
        plans = _plan_times(engine, sent)
    finally:
        engine.dispose()
    return {
        name: {
            "client_us": round(c * 1e6 / questions),
            "postgres_us": round(p * 1e6 / questions),
            **plans.get(name, {}),
        }
        for name, (c, p) in totals.items()
    }


def _plan_times(engine: Engine, sent: list[tuple[str, str, Any]]) -> dict[str, dict[str, float]]:
    """PostgreSQL's planning and execution time in us per named call (its statements summed),
    the median of PLANS runs of EXPLAIN ANALYZE, each rolled back."""
    times: dict[str, dict[str, float]] = {}
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for name, statement, params in sent:
            planning, execution = [], []
            for _ in range(PLANS):
                if "INSERT INTO interactions" in statement:
                    params = {**params, "id": str(uuid.uuid4())}  # a new row each time
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params)
                plan = cursor.fetchone()[0][0]
                raw.rollback()
                planning.append(plan["Planning Time"])
                execution.append(plan["Execution Time"])
            entry = times.setdefault(name, {"planning_us": 0.0, "execution_us": 0.0})
            entry["planning_us"] += round(sorted(planning)[PLANS // 2] * 1000)
            entry["execution_us"] += round(sorted(execution)[PLANS // 2] * 1000)
    finally:
        raw.close()
    return times


PARTS = {
    "http": http_floor,
    "celery": celery_floor,
    "db": db_part(question_sql),
    "db-hit": db_part(hit_sql),
}
QUESTION = ("http", "celery", "db")  # a queued question; a cache hit is half of http + db-hit
# What each part's question costs the platform: not the load generator's side of HTTP.
COUNTED = {
    "http": ("server",),
    "celery": ("sender", "worker", "redis"),
    "db": ("client", "postgres"),
    "db-hit": ("client", "postgres"),
}


async def floors(lab: Lab) -> dict[str, Any]:
    """Every part at CLIENTS (shrunk by --scale) for 10 s each (shrunk likewise)."""
    clients, seconds = lab.count(CLIENTS, minimum=2), lab.seconds(10.0, 1.0)
    parts = {name: await part(lab, clients, seconds) for name, part in PARTS.items()}
    for name, part in parts.items():
        part["counted_ms"] = round(sum(part["cpu_ms"].get(k, 0.0) for k in COUNTED[name]), 3)
    total = round(sum(parts[p]["counted_ms"] for p in QUESTION), 3)
    hit = round(parts["http"]["counted_ms"] / 2 + parts["db-hit"]["counted_ms"], 3)
    # One client: a hit's statements as a lone student waits for them (the 1-client target).
    alone = await db_part(hit_sql)(lab, 1, seconds)
    statements = await asyncio.to_thread(statement_costs, lab, lab.count(1000, minimum=20))
    return {
        "statements": statements,
        "hit_sql_ms_one_client": round(1000 / alone["per_s"], 2) if alone["per_s"] else None,
        "clients": clients,
        "seconds": seconds,
        "parts": parts,
        "cpu_ms_per_question": total,
        "cpu_ms_per_cache_hit": hit,
    }
