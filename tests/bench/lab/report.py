"""Figures from recorded outcomes, and the printed table.

Times in the JSON are milliseconds (`*_ms`) or seconds (`*_s`); every scenario has the
same keys (null where a figure does not apply), so runs can be compared by a script.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.bench.lab.students import Recorder

if TYPE_CHECKING:
    from tests.bench.lab.measure import Window

QUANTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
PROCESS_ORDER = ("api", "worker", "beat", "postgres", "redis", "fake_llm", "harness")
COMMON_KEYS = (
    "latency_s",
    "questions",
    "asked",
    "answered",
    "cache_hits",
    "duration_s",
    "timed_out",
    "submit_ms",
    "e2e_ms",
    "overhead_ms",
    "overhead_minus_floor_ms",
    "floor",
    "answered_per_s",
    "cache_hit_ms",
    "cache_hits_per_s",
    "errors",
    "cpu_s",
    "cpu_s_per_answer",
    "peak_rss_mb",
    "db_connections",
)


def percentiles(seconds: list[float]) -> dict[str, float | None]:
    """p50/p95/p99 in milliseconds (nearest rank); None for no data."""
    ordered = sorted(seconds)
    if not ordered:
        return dict.fromkeys(QUANTILES)
    last = len(ordered) - 1
    return {k: round(ordered[min(last, round(q * last))] * 1000, 1) for k, q in QUANTILES.items()}


def _minus(a: dict[str, float | None], b: dict[str, float | None]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for k, x in a.items():
        y = b[k]
        out[k] = None if x is None or y is None else round(x - y, 1)
    return out


def floor(
    rec: Recorder, latency: float, seconds: float, window_end: float | None = None
) -> dict[str, Any]:
    """The fake LLM alone: latency, overhead over L, and its rate."""
    e2e = [d for at, d in rec.answers]
    done = [at for at, _ in rec.answers if window_end is None or at <= window_end]
    return {
        "calls": rec.asked,
        "e2e_ms": percentiles(e2e),
        "overhead_ms": percentiles([d - latency for d in e2e]),
        "answered_per_s": round(len(done) / seconds, 1) if seconds else None,
        "errors": dict(rec.errors),
    }


def step(
    clients: int, rec: Recorder, start: float, stop_at: float, floor_: dict[str, Any]
) -> dict[str, Any]:
    """One saturation step: rates count only what finished inside the window."""
    seconds = stop_at - start
    answered = sum(1 for at, _ in rec.answers if at <= stop_at)
    submitted = sum(1 for at, _ in rec.submits if at <= stop_at)
    return {
        "concurrency": clients,
        "answered_per_s": round(answered / seconds, 1),
        "submits_per_s": round(submitted / seconds, 1),
        "e2e_ms": percentiles([d for _, d in rec.answers]),
        "submit_ms": percentiles([d for _, d in rec.submits]),
        "errors": dict(rec.errors),
        "floor_answered_per_s": floor_["answered_per_s"],
    }


def cache_phase(
    clients: int, rec: Recorder, start: float, stop_at: float, floor_: dict[str, Any]
) -> dict[str, Any]:
    seconds = stop_at - start
    hits = sum(1 for at, _ in rec.hits if at <= stop_at)
    return {
        "clients": clients,
        "latency_ms": percentiles([d for _, d in rec.hits]),
        "requests_per_s": round(hits / seconds, 1),
        "errors": dict(rec.errors),
        "floor_requests_per_s": floor_["answered_per_s"],
        "floor_latency_ms": floor_["e2e_ms"],
    }


TTFT_TARGET_P50_MS = 50.0


def _stored(rec: Recorder, key: str) -> dict[str, float | None]:
    return percentiles([s[key] / 1000 for s in rec.stages if s.get(key) is not None])


def ttft(rec: Recorder, alone: Recorder) -> dict[str, Any]:
    """Time to first token: the students' (submit -> first text on the SSE stream; and
    from the 202 on), the fake's own at the same concurrency, and the overhead (each
    student's minus the fake's median; p50/p95/p99 in ms)."""
    own = percentiles([d for _, d in alone.first_tokens])
    median = (own["p50"] or 0.0) / 1000
    overhead = percentiles([d - median for _, d in rec.first_tokens])
    return {
        "ttft_ms": percentiles([d for _, d in rec.first_tokens]),
        "ttft_after_submit_ms": percentiles([d for _, d in rec.after_submit]),
        "stream_open_ms": percentiles([d for _, d in rec.stream_opens]),  # 202 -> SSE headers
        "relay_ms": percentiles([d for _, d in rec.relays]),  # worker's XADD -> the student
        # as stored: create -> worker start, and the worker's LLM call -> its first token
        "queue_ms": _stored(rec, "queue_ms"),
        "worker_ttft_ms": _stored(rec, "ttft_ms"),
        "fake_ttft_ms": own,
        "ttft_overhead_ms": overhead,
        "ttft_target_p50_ms": TTFT_TARGET_P50_MS,
        "ttft_target_met": overhead["p50"] is not None and overhead["p50"] <= TTFT_TARGET_P50_MS,
        "first_tokens": len(rec.first_tokens),
    }


def asked_between(rec: Recorder, start: float, end: float) -> Recorder:
    """The first-token records of the questions asked in [start, end)."""

    def inside(items: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(at, d) for at, d in items if start <= at - d < end]

    counted = Recorder()
    counted.first_tokens = inside(rec.first_tokens)
    kept = {at for at, _ in counted.first_tokens}  # recorded at the same instant
    counted.after_submit = [(at, d) for at, d in rec.after_submit if at in kept]
    counted.stream_opens, counted.relays = list(rec.stream_opens), list(rec.relays)
    counted.stages = list(rec.stages)
    return counted


def spread(values: list[int]) -> dict[str, int | None]:
    """Smallest, median and largest of a count."""
    ordered = sorted(values)
    if not ordered:
        return {"min": None, "p50": None, "max": None}
    return {"min": ordered[0], "p50": ordered[len(ordered) // 2], "max": ordered[-1]}


def summarize(
    w: Window, questions: int, floor_: dict[str, Any] | None, extra: dict[str, Any]
) -> dict[str, Any]:
    """The common figures of every scenario, then the scenario's own."""
    rec, latency = w.rec, w.latency
    e2e = [d for _, d in rec.answers]
    answered = len(rec.answers) + len(rec.hits)
    errors = dict(rec.errors)
    unasked = questions - rec.asked
    if unasked > 0:
        errors["not_asked"] = unasked
    overhead = percentiles([d - latency for d in e2e])
    minus_floor = _minus(overhead, floor_["overhead_ms"]) if floor_ else None
    result = {
        "latency_s": latency,
        "questions": questions,
        "asked": rec.asked,
        "answered": answered,
        "cache_hits": len(rec.hits),
        "duration_s": round(w.duration, 2),
        "timed_out": w.timed_out,
        "submit_ms": percentiles([d for _, d in rec.submits]),
        "e2e_ms": percentiles(e2e),
        "overhead_ms": overhead,
        "overhead_minus_floor_ms": minus_floor,
        "floor": floor_,
        "answered_per_s": round(answered / w.duration, 2) if w.duration else None,
        "cache_hit_ms": percentiles([d for _, d in rec.hits]),
        "cache_hits_per_s": round(len(rec.hits) / w.duration, 1) if w.duration else None,
        "errors": errors,
        "cpu_s": {k: round(v, 2) for k, v in w.cpu.items()},
        "cpu_s_per_answer": (
            {k: round(v / answered, 4) for k, v in w.cpu.items()} if answered else None
        ),
        "peak_rss_mb": {k: round(v / 2**20, 1) for k, v in w.peak_rss.items()},
        "db_connections": {"max_total": w.max_connections, "max_active": w.max_active_connections},
    }
    if w.profile:
        result["profile"] = w.profile
    return {**result, **extra}


# --- the printed table -----------------------------------------------------------------------


def _ms(p: dict[str, float | None] | None, unit: float = 1.0) -> str:
    if not p or p["p50"] is None:
        return "-"
    digits = 0 if unit == 1 else 2
    return "/".join(f"{(v or 0) / unit:.{digits}f}" for v in p.values())


def _row(cells: list[str], widths: list[int]) -> str:
    pairs = enumerate(zip(cells, widths, strict=True))
    return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [_row(header, widths), *(_row(r, widths) for r in rows)]


def _processes(scenarios: dict[str, dict[str, Any]]) -> list[str]:
    seen = {p for s in scenarios.values() for p in s["cpu_s"]}

    def rank(name: str) -> tuple[int, str]:  # worker1, worker2 ... sit where worker does
        base = name.rstrip("0123456789")
        return (PROCESS_ORDER.index(base) if base in PROCESS_ORDER else len(PROCESS_ORDER), name)

    return sorted(seen, key=rank)


LATENCY_HEADER = (
    "scenario|L s|asked|answered|errors|submit ms|e2e s|overhead s|minus floor s|floor ovh s|"
    "answered/s"
).split("|")


def _latency_row(name: str, s: dict[str, Any]) -> list[str]:
    rate = s["answered_per_s"]
    floor_overhead = (s["floor"] or {}).get("overhead_ms")
    return [
        name, f"{s['latency_s']:g}", str(s["asked"]), str(s["answered"]),
        str(sum(s["errors"].values())), _ms(s["submit_ms"]), _ms(s["e2e_ms"], 1000),
        _ms(s["overhead_ms"], 1000), _ms(s["overhead_minus_floor_ms"], 1000),
        _ms(floor_overhead, 1000), "-" if rate is None else f"{rate:.1f}",
    ]  # fmt: skip


def _per_process_rows(
    scenarios: dict[str, dict[str, Any]], procs: list[str]
) -> tuple[list[list[str]], list[list[str]]]:
    cpu, rss = [], []
    for name, s in scenarios.items():
        per_answer = s["cpu_s_per_answer"]
        cpu.append([name, *(f"{per_answer[p]:.4f}" if per_answer else "-" for p in procs)])
        conns = f"{s['db_connections']['max_total']}/{s['db_connections']['max_active']}"
        rss.append([name, *(f"{s['peak_rss_mb'][p]:.0f}" for p in procs), conns])
    return cpu, rss


def format_report(run: dict[str, Any]) -> str:
    scenarios: dict[str, dict[str, Any]] = run["scenarios"]
    machine, config = run["machine"], run["config"]
    procs = _processes(scenarios)
    cpu, rss = _per_process_rows(scenarios, procs)
    lines = [
        f"Load harness: {machine['cpus']} CPUs, load {machine['load_before']:.1f} before / "
        f"{machine['load_after']:.1f} after; workers {config['workers']}; "
        f"scale {config['scale']}; env overrides {config['env'] or 'none'}",
        "",
        "Latency (submit in ms; end-to-end and overhead over L in s; p50/p95/p99)",
        *_table(LATENCY_HEADER, [_latency_row(n, s) for n, s in scenarios.items()]),
        "",
        "CPU seconds per answered question (process trees)",
        *_table(["scenario", *procs], cpu),
        "",
        "Peak RSS in MB (process trees) and most DB connections (total/active)",
        *_table(["scenario", *procs, "db conns"], rss),
        "",
        "Errors by kind",
        *(f"  {name}: {s['errors'] or 'none'}" for name, s in scenarios.items()),
    ]
    return "\n".join(lines + _details(scenarios) + _floors(run.get("floors"), scenarios))


PLATFORM = ("api", "worker", "postgres", "redis")  # what "CPU per question" counts
TARGET_MS = 8.0  # the cost issue's target: CPU per answered question across processes


def _floors(floors: dict[str, Any] | None, scenarios: dict[str, dict[str, Any]]) -> list[str]:
    """The design's floors (floors.py) and the platform's saturation cost as a ratio to them."""
    if not floors:
        return []
    rows = [
        [
            name,
            f"{p['per_s']:.0f}",
            ", ".join(f"{k} {v:.2f}" for k, v in p["cpu_ms"].items()),
            f"{p['counted_ms']:.2f}",
        ]
        for name, p in floors["parts"].items()
    ]
    total = floors["cpu_ms_per_question"]
    lines = [
        "",
        f"Floors: each part of a question alone, none of the platform's logic "
        f"({floors['clients']} clients, {floors['seconds']:g} s each)",
        *_table(["part", "per s", "CPU ms per unit, by process", "counted ms"], rows),
        f"  the design's floor: {total:.2f} ms of CPU per question "
        f"(target {TARGET_MS:g} ms: {total / TARGET_MS:.2f}x the target before any logic)",
    ]
    per_answer = (scenarios.get("saturation") or {}).get("cpu_s_per_answer")
    if per_answer:
        platform = sum(per_answer.get(k, 0.0) for k in PLATFORM) * 1000
        lines.append(
            f"  saturation, {' + '.join(PLATFORM)}: {platform:.2f} ms per answered question "
            f"= {platform / total:.2f}x the floor; the platform's own logic "
            f"{platform - total:.2f} ms"
        )
    statements = floors.get("statements")
    if statements:
        lines.append(
            "  one question's statements alone (us of CPU, client / postgres; "
            "postgres's planning + execution by EXPLAIN ANALYZE):"
        )
        lines += [
            f"    {k:<13} {v['client_us']:>6} / {v['postgres_us']:>6}   "
            f"plan {v.get('planning_us', 0):>5.0f} + run {v.get('execution_us', 0):>5.0f}"
            for k, v in statements.items()
        ]
    hit, cache = floors.get("cpu_ms_per_cache_hit"), scenarios.get("cache")
    if hit:
        lines.append(
            f"  a cache hit's floor (half of http + db-hit): {hit:.2f} ms, at most "
            f"{2000 / hit:.0f} hits/s on 2 cores"
            + (
                f"; its two statements take {floors['hit_sql_ms_one_client']:.2f} ms for one client"
                if floors.get("hit_sql_ms_one_client")
                else ""
            )
        )
    if hit and cache and cache.get("cpu_s_per_answer"):
        per_hit = sum(cache["cpu_s_per_answer"].get(k, 0.0) for k in PLATFORM) * 1000
        lines.append(
            f"  cache, {' + '.join(PLATFORM)}: {per_hit:.2f} ms per hit = {per_hit / hit:.2f}x "
            "the hit's floor"
        )
    return lines


def _details(scenarios: dict[str, dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    if "burst" in scenarios:
        b = scenarios["burst"]
        lines.append("")
        if b["last_answer_s"] is None:
            lines.append("Burst: not one question was answered")
        else:
            lines.append(
                f"Burst: last answer {b['last_answer_s']:.1f} s after the first question; "
                f"L + 2 s = {b['latency_s'] + 2:g} s, so {b['last_answer_minus_L_plus_2_s']:+.1f} s"
            )
    if "lab-console" in scenarios:
        c = scenarios["lab-console"]
        line = (
            f"Console: {c['watchers']} staff polling the live view every second, "
            f"{c['live_polls']} polls ({c['live_errors'] or 'no'} errors), "
            f"each {_ms(c['live_request_ms'])} ms; "
            f"view behind the students (ms) {_ms(c['view_behind_ms'])}, "
            f"{c['questions_seen']}/{c['questions_sent']} questions seen"
        )
        if "lab" in scenarios:
            base, watched = scenarios["lab"]["overhead_ms"], c["overhead_ms"]
            if base["p50"] is not None and watched["p50"] is not None:
                line += (
                    f"; lab overhead p50 {watched['p50']:g} ms watched vs {base['p50']:g} ms "
                    f"not ({watched['p50'] - base['p50']:+.0f} ms)"
                )
        lines += ["", line]
    for name, title in (("stream", "Stream"), ("stream-burst", "Stream burst")):
        if name not in scenarios:
            continue
        t = scenarios[name]
        held = t.get("open_streams")
        lines += [
            "",
            f"{title}: {t['students']} students, {t['first_tokens']} first tokens counted"
            + (
                f" (streams open as they asked: {held['min']}..{held['max']}, median {held['p50']})"
                if held
                else ""
            )
            + f"; time to first token (ms, p50/p95/p99) {_ms(t['ttft_ms'])}, "
            f"after the 202 {_ms(t['ttft_after_submit_ms'])} "
            f"(SSE open {_ms(t['stream_open_ms'])}; XADD -> student {_ms(t['relay_ms'])}), "
            f"queued {_ms(t['queue_ms'])}, the worker's LLM call {_ms(t['worker_ttft_ms'])}, "
            f"the fake's own {_ms(t['fake_ttft_ms'])}, overhead {_ms(t['ttft_overhead_ms'])} "
            f"(target p50 <= {t['ttft_target_p50_ms']:g} ms: "
            f"{'met' if t['ttft_target_met'] else 'NOT met'})",
        ]
    if "saturation" in scenarios:
        steps = scenarios["saturation"]["steps"]
        rows = [
            [
                str(r["concurrency"]),
                f"{r['answered_per_s']:.1f}",
                f"{r['submits_per_s']:.1f}",
                _ms(r["e2e_ms"]),
                _ms(r["submit_ms"]),
                str(sum(r["errors"].values())),
                f"{r['floor_answered_per_s']:.0f}",
            ]
            for r in steps
        ]
        lines += ["", "Saturation (L = 0, closed loop)"]
        lines += _table(
            ["clients", "answered/s", "submits/s", "e2e ms", "submit ms", "errors", "fake alone/s"],
            rows,
        )
    if "cache" in scenarios:
        rows = [
            [
                str(p["clients"]),
                _ms(p["latency_ms"]),
                f"{p['requests_per_s']:.1f}",
                str(sum(p["errors"].values())),
                f"{p['floor_requests_per_s']:.0f}",
            ]
            for p in scenarios["cache"]["phases"].values()
        ]
        lines += ["", "Cache hits (100 %)"]
        lines += _table(["clients", "latency ms", "requests/s", "errors", "fake alone/s"], rows)
    after = {name: s["aftermath"] for name, s in scenarios.items() if "aftermath" in s}
    if after:
        lines += ["", "Between scenarios (API serving again after s; restarted if it never did)"]
        lines += [
            f"  after {name}: "
            + (f"{a['api_serving_after_s']:g} s" if not a["restarted"] else "RESTARTED")
            + f"; settled in {a['seconds']:g} s"
            for name, a in after.items()
        ]
    if "idle" in scenarios:
        i = scenarios["idle"]
        lines += [
            "",
            f"Idle: {i['students']} students held long-polls for {i['hold_s']:g} s: "
            f"{i['held']} held to the end, {i['answered']} answered, "
            f"{sum(i['errors'].values())} errors; most DB connections "
            f"{i['db_connections']['max_total']} (active {i['db_connections']['max_active']}); "
            f"API peak RSS {i['peak_rss_mb'].get('api', 0):.0f} MB; CPU seconds "
            + ", ".join(f"{k} {v:.1f}" for k, v in i["cpu_s"].items()),
        ]
    return lines
