"""Counting one scenario's outcome, and the table `make faults` prints.

What is counted, and from where:
- sent, accepted: the students' ledger (accepted = the API answered 200 or 202);
- answered, errored, lost, queued at end, rows per accepted question: the interaction
  rows in PostgreSQL, the source of truth, after the scenario drained;
- duplicated: questions with more than one final write (the worker logs one line per
  write that changed a row to done or error, `final_write`), or whose row at the end
  differs from the final state a student was shown (an answer delivered, then another);
- the replies themselves: 5xx other than 503, 503 without Retry-After, requests that
  outlived the API's own timeout.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.faults.load import Ledger
    from tests.faults.scenarios import Fault

UNREADABLE = ("Traceback", "Exception", "Error:", "psycopg", "sqlalchemy")


@dataclass
class Outcome:
    scenario: str
    sent: int
    accepted: int
    answered: int
    errored: int
    lost: int
    duplicated: int
    queued_at_end: int
    rows_per_accepted: list[int]
    recovery_s: float | None
    unreadable_errors: int
    server_errors: int
    no_retry_after: int
    hangs: int
    statuses: dict[int, int] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def rows_ratio(self) -> float:
        return sum(self.rows_per_accepted) / max(1, len(self.rows_per_accepted))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_per_accepted": self.rows_ratio}


def count(
    scenario: str,
    ledger: Ledger,
    rows: list[dict[str, Any]],
    final_writes: dict[str, list[str]],
    fault: Fault,
) -> Outcome:
    """The outcome of one scenario from its ledger, its rows and the worker's final writes."""
    by_id = {r["id"]: r for r in rows}
    rows_per_prompt = Counter(r["prompt"] for r in rows)
    accepted = [q for q in ledger.questions if q.accepted]
    finals = [by_id.get(q.id or "") for q in accepted]
    answered = [r for r in finals if r is not None and r["status"] == "done"]
    errored = [r for r in finals if r is not None and r["status"] == "error"]
    lost = [
        q.id
        for q, r in zip(accepted, finals, strict=True)
        if r is None or r["status"] not in ("done", "error")
    ]
    unreadable = [
        r["id"] for r in errored if not r["error"] or any(w in r["error"] for w in UNREADABLE)
    ]
    twice = {i for i in by_id if len(final_writes.get(i, [])) > 1}
    for q, r in zip(accepted, finals, strict=True):
        if q.final is not None and r is not None:
            seen = (q.final.get("status"), q.final.get("answer"), q.final.get("error"))
            if seen != (r["status"], r["answer"], r["error"]):
                twice.add(r["id"])
    done_at = sorted(
        float(r["completed"]) for r in rows if r["status"] == "done" and r["completed"]
    )
    recovery = _recovery(fault.back, done_at)
    server_errors = sum(n for code, n in ledger.statuses.items() if code >= 500 and code != 503)
    return Outcome(
        scenario=scenario,
        sent=len(ledger.questions),
        accepted=len(accepted),
        answered=len(answered),
        errored=len(errored),
        lost=len(lost),
        duplicated=len(twice),
        queued_at_end=sum(1 for r in rows if r["status"] in ("queued", "running")),
        rows_per_accepted=[rows_per_prompt[q.prompt] for q in accepted],
        recovery_s=recovery,
        unreadable_errors=len(unreadable),
        server_errors=server_errors,
        no_retry_after=ledger.no_retry_after,
        hangs=ledger.hangs,
        statuses=dict(ledger.statuses),
        checks={**fault.checks, "transport_errors": dict(ledger.transport_errors)},
        examples={
            "lost": [str(i) for i in lost[:5]],
            "duplicated": sorted(twice)[:5],
            "errors": sorted({str(r["error"]) for r in errored})[:5],
        },
    )


def _recovery(back: list[float], done_at: list[float]) -> float | None:
    """The longest wait, over the fault's events, from the service's return to an answer."""
    waits = []
    for moment in back:
        after = [t for t in done_at if t >= moment]
        if not after:
            return None
        waits.append(after[0] - moment)
    return round(max(waits), 1) if waits else None


COLUMNS = (
    ("scenario", 18),
    ("sent", 5),
    ("accepted", 8),
    ("answered", 8),
    ("errored", 7),
    ("lost", 4),
    ("duplicated", 10),
    ("queued at end", 13),
    ("rows/accepted", 13),
    ("recovery s", 10),
)


def table(outcomes: list[Outcome]) -> str:
    """The `make faults` table, one row per scenario."""
    head = " | ".join(f"{name:<{width}}" for name, width in COLUMNS)
    lines = [head, "-|-".join("-" * width for _, width in COLUMNS)]
    for o in outcomes:
        recovery = "-" if o.recovery_s is None else f"{o.recovery_s:.1f}"
        cells = (
            o.scenario,
            o.sent,
            o.accepted,
            o.answered,
            o.errored,
            o.lost,
            o.duplicated,
            o.queued_at_end,
            f"{o.rows_ratio:.2f}",
            recovery,
        )
        lines.append(" | ".join(f"{c!s:<{w}}" for c, (_, w) in zip(cells, COLUMNS, strict=True)))
    return "\n".join(lines)


def problems(o: Outcome) -> list[str]:
    """What a scenario must never show, and what its fault must have shown (`EXPECTED`);
    empty when it held."""
    found = []
    if o.accepted == 0:
        found.append("no question was accepted")
    if o.lost:
        found.append(f"{o.lost} lost: {o.examples['lost']}")
    if o.duplicated:
        found.append(f"{o.duplicated} answered twice: {o.examples['duplicated']}")
    if o.queued_at_end:
        found.append(f"{o.queued_at_end} still queued at the end")
    if any(n != 1 for n in o.rows_per_accepted):
        found.append(f"rows per accepted question: {Counter(o.rows_per_accepted)}")
    if o.unreadable_errors:
        found.append(f"{o.unreadable_errors} errors without a readable message: {o.examples}")
    if o.server_errors:
        found.append(f"5xx other than 503: {o.statuses}")
    if o.no_retry_after:
        found.append(f"{o.no_retry_after} 503 replies without Retry-After")
    if o.hangs:
        found.append(f"{o.hangs} requests hung past the API's own timeout")
    return found + EXPECTED[o.scenario](o)


def _recovered(o: Outcome) -> list[str]:
    return [] if o.recovery_s is not None else ["nothing was answered after the fault ended"]


def _llm_429(o: Outcome) -> list[str]:
    early = o.checks.get("retries_before_retry_after")
    return _recovered(o) + ([] if early == 0 else [f"{early} retries before Retry-After"])


def _worker_kill(o: Outcome) -> list[str]:
    found = [] if o.checks.get("kills", 0) >= 2 else [f"only {o.checks.get('kills')} kills"]
    return found + ([] if o.answered > 0 else ["nothing was answered"])


def _worker_stuck(o: Outcome) -> list[str]:
    found = []
    if o.checks.get("stuck_detected_after_s") is None:
        found.append("the liveness probe never saw the stopped worker")
    if o.checks.get("other_worker_alive") is not True:
        found.append("the liveness probe failed for the running worker")
    if o.checks.get("alive_again") is not True:
        found.append("the worker was not alive again after SIGCONT")
    if o.answered != o.accepted:
        found.append(f"{o.accepted - o.answered} accepted questions not answered")
    return found


def _service_restart(part: str) -> Callable[[Outcome], list[str]]:
    def check(o: Outcome) -> list[str]:
        found = _recovered(o)
        if o.checks.get(f"health_named_{part}_down") is not True:
            found.append(f"health never named the {part} down")
        if o.checks.get("health_back_after_s") is None:
            found.append("health did not come back")
        return found

    return check


# What each scenario shows beside the invariants every scenario keeps (`problems`).
EXPECTED: dict[str, Callable[[Outcome], list[str]]] = {
    "worker_kill": _worker_kill,
    "worker_stuck": _worker_stuck,
    "redis_restart": _service_restart("broker"),
    "redis_restart_aof": _service_restart("broker"),
    "postgres_restart": _service_restart("database"),
    "llm_timeout": _recovered,
    "llm_429": _llm_429,
    "llm_500": _recovered,
    "llm_malformed": _recovered,
    "llm_cut": _recovered,
}
