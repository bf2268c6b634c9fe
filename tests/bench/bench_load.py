"""Benchmark: load_interactions (COPY -> pyarrow) vs pandas.read_sql on 1,000,000 interactions.

Each measurement runs in its own subprocess so peak memory (ru_maxrss) belongs to one
method only. `python -m tests.bench.bench_load --measure copy|read_sql --url URL` is the
child; `run()` prepares the data and drives the children.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import create_engine, text

from ainative.tutor.modes import MODE_NAMES
from tests.support.factories import course_with_code

ROWS = 1_000_000
USERS = 1_000
MODES_SQL = ",".join(f"'{name}'" for name in MODE_NAMES)

SEED_SQL = """
INSERT INTO users (email, username, password_hash, research_consent)
SELECT 'bench' || g || '@example.org', 'bench' || g, 'x', true FROM generate_series(1, {users}) g;
INSERT INTO interactions (
    id, user_id, course_id, mode, prompt, context, answer, status, attempts, cache_hit,
    provider, model, prompt_version, prompt_tokens, completion_tokens, queue_ms, llm_ms,
    total_ms, classification, guardrail, error, created_at, started_at, completed_at,
    helpful, score, rated_at)
SELECT
    gen_random_uuid(),
    u.first + (g % {users}),
    c.id,
    (ARRAY[{modes}])[1 + g % {mode_count}],
    'Why does my loop stop early? (' || g || ')',
    jsonb_build_object('code', 'for i in range(10):\n    print(i)', 'error',
                       CASE WHEN g % 3 = 0 THEN 'IndexError: list index out of range' END),
    CASE WHEN g % 50 = 0 THEN NULL WHEN g % 7 = 0
         THEN E'Try this:\n```python\nfor x in xs:\n    ...\n```' ELSE 'What do you expect?' END,
    CASE WHEN g % 50 = 0 THEN 'error' ELSE 'done' END,
    1,
    g % 9 = 0,
    'offline', 'offline-socratic', 'v1',
    80 + g % 800,
    CASE WHEN g % 50 = 0 THEN NULL ELSE 40 + g % 400 END,
    CASE WHEN g % 9 = 0 THEN NULL ELSE 5 + g % 700 END,
    CASE WHEN g % 9 = 0 OR g % 50 = 0 THEN NULL ELSE 600 + (g::bigint * 7919) % 4000 END,
    CASE WHEN g % 9 = 0 THEN 10 + g % 50 ELSE 700 + (g::bigint * 7919) % 4600 END,
    (ARRAY['debugging','conceptual','implementation','solution-request','off-topic'])[1 + g % 5],
    CASE WHEN g % 50 = 0 THEN NULL ELSE (ARRAY['passed','passed','passed','rewritten','refused'])[1 + g % 5] END,
    CASE WHEN g % 50 = 0 THEN 'LLM provider timed out' END,
    now() - make_interval(secs => g * 2.5),
    now() - make_interval(secs => g * 2.5) + interval '0.2 second',
    now() - make_interval(secs => g * 2.5) + interval '2 seconds',
    CASE WHEN g % 3 = 0 AND g % 4 <> 0 THEN g % 5 <> 0 END,
    CASE WHEN g % 3 = 0 AND g % 4 < 2 THEN 1 + g % 5 END,
    CASE WHEN g % 3 = 0 THEN now() - make_interval(secs => g * 2.5) + interval '30 seconds' END
FROM generate_series(1, {rows}) g,
     (SELECT min(id) AS first FROM users WHERE username LIKE 'bench%') u,
     (SELECT id FROM courses WHERE code = 'BENCH') c;
ANALYZE interactions;
"""  # noqa: E501


def seed(url: str, rows: int = ROWS) -> float:
    """Insert `rows` interactions with one INSERT ... SELECT generate_series; returns seconds."""
    from analytics.load import raw_connection

    started = time.perf_counter()
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM users WHERE username = 'bench1'")
        if cur.fetchone()[0]:
            return 0.0
        engine = create_engine(url)
        try:  # through the course service, with its first policy version
            course_with_code(engine, "BENCH", title="Benchmark course")
        finally:
            engine.dispose()
        cur.execute("SET LOCAL statement_timeout = 0")
        modes = {"modes": MODES_SQL, "mode_count": len(MODE_NAMES)}
        cur.execute(SEED_SQL.format(rows=rows, users=USERS, **modes))  # '%' stays literal
        conn.commit()
    return time.perf_counter() - started


def same_query() -> str:
    """The SQL load_interactions() runs, for read_sql to run verbatim, with its row order.

    load_interactions() returns rows ordered by created_at (sorted client-side), so the
    baseline is asked for the same order: same rows, same order, apples to apples.
    """
    from analytics.load import INTERACTION_COLUMNS, TraceFilter, select_sql

    joins, where, _ = TraceFilter().clauses(time_column="created_at")
    select = select_sql(INTERACTION_COLUMNS, "interactions", joins)
    return f"{select} WHERE {where} ORDER BY x.created_at"


def digest(frame: Any) -> str:
    """Fingerprint of the ordered (created_at, id) pairs, to check both methods agree."""
    micros = frame["created_at"].dt.as_unit("us").astype("int64").to_numpy()
    ids = "\n".join(frame["id"].astype(str).tolist()).encode()
    return hashlib.sha256(micros.tobytes() + b"|" + ids).hexdigest()


def measure(method: str, url: str) -> dict[str, Any]:
    """Child process: load once with `method`, report time, rows and peak memory."""
    import pandas as pd

    from analytics.load import load_interactions

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.connect() as conn:  # connect before timing, as both methods would
        conn.execute(text("SELECT 1"))
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if method == "copy":
        frame = load_interactions(engine)
    else:
        frame = pd.read_sql(text(same_query()), engine)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "method": method,
        "rows": len(frame),
        "columns": frame.shape[1],
        "seconds": seconds,
        "peak_rss_mb": peak_kb / 1024,
        "rss_growth_mb": (peak_kb - baseline_kb) / 1024,
        "frame_mb": frame.memory_usage(deep=True).sum() / 2**20,
        "digest": digest(frame),
    }


def _child(method: str, url: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_load", "--measure", method, "--url", url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(url: str, repeat: int = 3, rows: int = ROWS) -> dict[str, Any]:
    """Seed if needed, then alternate the two methods `repeat` times each."""
    seeded_s = seed(url, rows)
    load_before = os.getloadavg()[0]
    results: dict[str, list[dict[str, Any]]] = {"copy": [], "read_sql": []}
    for i in range(repeat):
        for method in ("copy", "read_sql") if i % 2 == 0 else ("read_sql", "copy"):
            results[method].append(_child(method, url))
    digests = {r["digest"] for runs in results.values() for r in runs}
    if len(digests) != 1:
        raise AssertionError("load_interactions and read_sql returned different rows or order")
    summary = {
        m: {
            "seconds_median": statistics.median(r["seconds"] for r in runs),
            "seconds_all": [round(r["seconds"], 2) for r in runs],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "rss_growth_mb": max(r["rss_growth_mb"] for r in runs),
            "frame_mb": runs[0]["frame_mb"],
            "rows": runs[0]["rows"],
        }
        for m, runs in results.items()
    }
    speedup = summary["read_sql"]["seconds_median"] / summary["copy"]["seconds_median"]
    machine = {"cpus": os.cpu_count(), "load_before": load_before, "load_after": os.getloadavg()[0]}
    return {"seed_seconds": round(seeded_s, 1), "speedup": speedup, "machine": machine, **summary}


def report(result: dict[str, Any]) -> str:
    lines = [f"load_interactions benchmark ({result['copy']['rows']:,} rows)"]
    if result["seed_seconds"]:
        lines.append(
            f"  seeded with INSERT ... SELECT generate_series in {result['seed_seconds']} s"
        )
    for method, label in (("copy", "load_interactions (COPY)"), ("read_sql", "pandas.read_sql")):
        r = result[method]
        lines.append(
            f"  {label:<26} median {r['seconds_median']:6.2f} s  runs {r['seconds_all']}  "
            f"peak RSS {r['peak_rss_mb']:7.0f} MB (+{r['rss_growth_mb']:.0f} MB)  "
            f"frame {r['frame_mb']:.0f} MB"
        )
    verdict = "meets" if result["speedup"] >= 5 else "MISSES"
    lines.append(f"  speedup {result['speedup']:.1f}x ({verdict} the >= 5x target)")
    m = result["machine"]
    lines.append(
        f"  machine: {m['cpus']} CPUs, load average {m['load_before']:.1f} before and "
        f"{m['load_after']:.1f} after (other work on the machine slows the parallel COPY most)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--measure", choices=["copy", "read_sql"])
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    print(json.dumps(measure(args.measure, args.url)))


if __name__ == "__main__":
    main()
