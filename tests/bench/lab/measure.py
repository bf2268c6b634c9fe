"""One measured window: the questions' outcomes, CPU per process, peak RSS and DB connections."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.bench.lab import procstats, profile

if TYPE_CHECKING:
    from tests.bench.lab.console import BenchCourse
from tests.bench.lab.stack import FakeLLM, LabStack
from tests.bench.lab.students import Client, Recorder, Student


@dataclass
class Lab:
    """Everything a scenario needs: the stack, the client, the students and the knobs."""

    stack: LabStack
    client: Client
    students: list[Student]
    scale: float = 1.0
    latency: float = 2.0
    question_timeout: float = 120.0
    scenario_timeout: float = 180.0
    rng: random.Random = field(default_factory=lambda: random.Random(42))
    roots: dict[str, int] = field(default_factory=dict)
    course: BenchCourse | None = None  # every student's course, and its instructor
    profile_dir: Path | None = None  # --profile: py-spy the API and worker (profile.py)
    scenario: str = ""  # the scenario running now (names the profiles)

    def count(self, full: int, minimum: int = 2) -> int:
        """A population or concurrency shrunk by --scale."""
        return max(minimum, min(len(self.students), round(full * self.scale)))

    def seconds(self, full: float, minimum: float) -> float:
        """A duration shrunk by --scale."""
        return max(minimum, full * self.scale)

    @property
    def fake(self) -> FakeLLM:
        assert self.stack.fake is not None, "the stack is not started"
        return self.stack.fake

    def student(self, i: int) -> Student:
        return self.students[i % len(self.students)]


@dataclass
class Window:
    """What one scenario measured; filled in by `measured`."""

    latency: float
    rec: Recorder = field(default_factory=Recorder)
    started: float = 0.0
    ended: float = 0.0
    timed_out: bool = False
    cpu: dict[str, float] = field(default_factory=dict)
    peak_rss: dict[str, int] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    max_connections: int = 0
    max_active_connections: int = 0

    @property
    def duration(self) -> float:
        return self.ended - self.started


@contextlib.asynccontextmanager
async def measured(lab: Lab, latency: float) -> AsyncIterator[Window]:
    """Set the fake's latency, then account CPU, RSS and connections around the block."""
    lab.fake.set_latency(latency)
    window = Window(latency)
    before = procstats.cpu_snapshot(lab.roots)
    with (
        procstats.Sampler(lab.roots, lab.stack.database_url) as sampler,
        profile.recording(lab.profile_dir, lab.scenario, lab.roots) as spots,
    ):
        window.started = time.perf_counter()
        try:
            yield window
        finally:
            window.ended = time.perf_counter()
    window.profile = spots
    after = procstats.cpu_snapshot(lab.roots)
    window.cpu = {name: after[name] - before[name] for name in lab.roots}
    window.peak_rss = dict(sampler.peak_rss)
    window.max_connections = sampler.max_connections
    window.max_active_connections = sampler.max_active_connections


async def run_all(coros: list[Coroutine[Any, Any, None]], timeout: float) -> bool:
    """Run the coroutines together; cancel what is left at `timeout`. True if any was cut."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    if not tasks:
        return False
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return bool(pending)
