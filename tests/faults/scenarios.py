"""The fault scenarios: students ask while a fault is injected, then the outcome is counted.

Each fault is a coroutine that runs beside the load and records, per fault event, the
moment the service came back (`Fault.back`); recovery is the time from that moment to
the first question answered after it (the row's completed_at). For a worker killed
or stopped, "back" is the fault itself: the other worker must keep answering.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.bench.lab.students import create_students
from tests.faults.load import Ledger, Students
from tests.faults.outcome import Outcome, count
from tests.faults.stack import WORKERS, FaultStack, new_tag
from tests.support.eventually import eventually

LATENCY = 0.3  # the fake LLM's answer time outside faults


@dataclass(frozen=True)
class Plan:
    """How hard and how long: the full run (`make faults`) or the short one (`make test`)."""

    students: int
    load_seconds: float
    drain_seconds: float
    kills: int
    kill_every: float
    down_seconds: float
    stuck_seconds: float
    llm_failures: int


FULL = Plan(
    students=40,
    load_seconds=60,
    drain_seconds=120,
    kills=12,
    kill_every=5,
    down_seconds=5,
    stuck_seconds=30,
    llm_failures=400,
)
SHORT = Plan(
    students=12,
    load_seconds=8,
    drain_seconds=90,
    kills=2,
    kill_every=2.5,
    down_seconds=2,
    stuck_seconds=10,
    llm_failures=40,
)


@dataclass
class Fault:
    """What a fault did: when its service came back, and checks of its own."""

    back: list[float] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)


FaultFn = Callable[[FaultStack, Plan, Fault], Awaitable[None]]


# --- processes ------------------------------------------------------------------------------


async def kill_workers(stack: FaultStack, plan: Plan, fault: Fault) -> None:
    """SIGKILL a worker mid-task every `kill_every` s while students ask, alternating between
    the workers; the supervisor restarts each.

    A worker is killed once it consumes again and has had a moment to take tasks: one
    killed while it still starts up holds no task, and only tests the back-off.
    """
    kills = 0
    stop_at = time.monotonic() + plan.load_seconds - 1
    next_at = time.monotonic() + plan.kill_every
    while kills < plan.kills and time.monotonic() < stop_at:
        name = WORKERS[kills % len(WORKERS)]
        await asyncio.to_thread(stack.wait_worker, name)
        await asyncio.sleep(max(1.5, next_at - time.monotonic()))
        if time.monotonic() >= stop_at:
            break  # it came back after the students stopped: no task to kill
        if stack.signal(name, 9):
            kills += 1
            fault.back.append(time.time())
        next_at = time.monotonic() + plan.kill_every
    fault.checks["kills"] = kills


def liveness(stack: FaultStack, worker: str) -> int:
    """Exit status of the worker's liveness probe, `ainative worker-alive`."""
    hostname = f"{worker}@{socket.gethostname()}"
    env = {**os.environ, **stack.env}
    argv = [sys.executable, "-m", "ainative.cli", "worker-alive", "--hostname", hostname]
    return subprocess.run(argv, env=env, capture_output=True, timeout=60).returncode


async def stop_worker(stack: FaultStack, plan: Plan, fault: Fault) -> None:
    """SIGSTOP worker1 (alive, consuming nothing) for `stuck_seconds`, then SIGCONT.

    While it is stopped the liveness probe must fail for it and pass for worker2.
    """
    await asyncio.sleep(2)
    stack.signal(WORKERS[0], 19)  # SIGSTOP
    fault.back.append(time.time())
    stopped_at = time.monotonic()
    detected = None
    while time.monotonic() - stopped_at < plan.stuck_seconds:
        await asyncio.sleep(1)
        if detected is None and await asyncio.to_thread(liveness, stack, WORKERS[0]) != 0:
            detected = round(time.monotonic() - stopped_at, 1)
    fault.checks["stuck_detected_after_s"] = detected
    fault.checks["other_worker_alive"] = await asyncio.to_thread(liveness, stack, WORKERS[1]) == 0
    stack.signal(WORKERS[0], 18)  # SIGCONT
    alive = await asyncio.to_thread(
        eventually, lambda: liveness(stack, WORKERS[0]) == 0, 30, interval=0.5
    )
    fault.checks["alive_again"] = alive


# --- services -------------------------------------------------------------------------------


async def _health_while(
    stack: FaultStack, restart: Callable[[], float], part: str, fault: Fault
) -> None:
    """Run `restart` in a thread while reading /api/v1/health: it must name `part` down, and be
    healthy again within seconds of the service's return."""
    task = asyncio.create_task(asyncio.to_thread(restart))
    named = False
    async with httpx.AsyncClient(timeout=15) as client:
        while not task.done():
            try:
                r = await client.get(f"{stack.api_url}/api/v1/health")
                named = named or part_status(r.json(), part) == "down"
            except (httpx.HTTPError, ValueError):
                pass
            await asyncio.sleep(0.5)
        back = await task
        fault.back.append(back)
        healthy_after = None
        while time.time() - back < 60:
            try:
                r = await client.get(f"{stack.api_url}/api/v1/health")
                if (
                    r.json()["status"] in ("healthy", "degraded")
                    and part_status(r.json(), part) == "up"
                ):
                    healthy_after = round(time.time() - back, 1)
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            await asyncio.sleep(0.25)
    fault.checks[f"health_named_{part}_down"] = named
    fault.checks["health_back_after_s"] = healthy_after


def part_status(health: dict[str, Any], part: str) -> str:
    """ "up", "down" or another state of one part, from either face of /api/v1/health:
    the detailed one ({part: {"status": ...}}) or the public summary ({"components":
    {part: "ok" | "degraded" | "down"}})."""
    summary = (health.get("components") or {}).get(part)
    if summary is not None:
        return {"ok": "up"}.get(str(summary), str(summary))
    return str((health.get(part) or {}).get("status"))


def _redis_fault(keep_data: bool) -> FaultFn:
    async def fault_fn(stack: FaultStack, plan: Plan, fault: Fault) -> None:
        await asyncio.sleep(plan.load_seconds / 3)

        def restart() -> float:
            return stack.restart_redis(plan.down_seconds, keep_data=keep_data)

        await _health_while(stack, restart, "broker", fault)

    return fault_fn


async def restart_postgres(stack: FaultStack, plan: Plan, fault: Fault) -> None:
    await asyncio.sleep(plan.load_seconds / 3)
    await _health_while(stack, lambda: stack.restart_postgres(plan.down_seconds), "database", fault)


# --- the LLM --------------------------------------------------------------------------------


def _llm_fault(**control: Any) -> FaultFn:
    """The fake LLM fails its next `llm_failures` calls as `control` says."""

    async def fault_fn(stack: FaultStack, plan: Plan, fault: Fault) -> None:
        assert stack.fake is not None
        await asyncio.sleep(1)
        stack.fake.control(record=True, clear=True, fail_next=plan.llm_failures, **control)
        while stack.fake.stats()["fail_next"] > 0:
            await asyncio.sleep(0.2)
        fault.back.append(time.time())
        if control.get("fail_status") == 429:
            fault.checks["retries_before_retry_after"] = early_retries(
                stack, float(control["retry_after"])
            )

    return fault_fn


QUESTION_ID = re.compile(r"\[[\w-]+ [0-9a-f]{12}\]")


def early_retries(stack: FaultStack, retry_after: float) -> int:
    """Calls that came sooner than the Retry-After of a 429 answered to the same question."""
    assert stack.fake is not None
    requests = httpx.get(f"{stack.fake.root_url}/_requests", timeout=30).json()
    last_429: dict[str, float] = {}
    early = 0
    for req in sorted(requests, key=lambda r: r["at"]):
        text = " ".join(str(m.get("content", "")) for m in req["body"].get("messages", []))
        match = QUESTION_ID.search(text)
        if match is None:
            continue
        key = match.group(0)
        if key in last_429 and req["at"] - last_429[key] < retry_after - 0.05:
            early += 1
        if req.get("fault") == "status":
            last_429[key] = req["at"]
        else:
            last_429.pop(key, None)
    return early


SCENARIOS: dict[str, FaultFn] = {
    "worker_kill": kill_workers,
    "worker_stuck": stop_worker,
    "redis_restart": _redis_fault(keep_data=False),
    "redis_restart_aof": _redis_fault(keep_data=True),
    "postgres_restart": restart_postgres,
    "llm_timeout": _llm_fault(fail_mode="hang", hang_seconds=30),
    "llm_429": _llm_fault(fail_mode="status", fail_status=429, retry_after=2),
    "llm_500": _llm_fault(fail_mode="status", fail_status=500, retry_after=None),
    "llm_malformed": _llm_fault(fail_mode="malformed"),
    "llm_cut": _llm_fault(fail_mode="cut"),
}


# --- running one ----------------------------------------------------------------------------


def ready(stack: FaultStack) -> None:
    """Between scenarios: the fake answers normally, both workers consume, the API is healthy."""
    assert stack.fake is not None
    stack.fake.control(
        latency=LATENCY,
        fail_next=0,
        fail_mode="status",
        retry_after=None,
        record=False,
        clear=True,
    )
    for name in WORKERS:
        stack.signal(name, 18)  # SIGCONT, harmless when running
        stack.wait_worker(name)

    def healthy() -> bool:
        return httpx.get(f"{stack.api_url}/api/v1/health", timeout=10).json()["status"] == "healthy"

    if not eventually(healthy, 90, interval=0.5, ignore=(httpx.HTTPError, ValueError, KeyError)):
        raise TimeoutError(f"the platform did not become healthy; see {stack.platform_log}")


def run_scenario(stack: FaultStack, name: str, plan: Plan) -> Outcome:
    """Students ask for `plan.load_seconds` while the fault runs; then count."""
    ready(stack)
    ledger = Ledger(new_tag(name))
    students = create_students(stack.database_url, plan.students, stack.settings)
    fault = Fault()

    async def main() -> None:
        client = Students(stack.api_url, ledger)
        try:
            injector = asyncio.create_task(SCENARIOS[name](stack, plan, fault))
            await client.run(students, plan.load_seconds, plan.drain_seconds)
            await injector
        finally:
            await client.close()

    asyncio.run(main())
    settle(stack, ledger.tag, plan.drain_seconds)
    return count(name, ledger, stack.rows(ledger.tag), stack.final_writes(), fault)


def settle(stack: FaultStack, tag: str, timeout: float) -> None:
    """Wait until no question of this scenario is queued or running (or `timeout` passes)."""
    eventually(
        lambda: not any(r["status"] in ("queued", "running") for r in stack.rows(tag)),
        timeout,
        interval=1,
    )
