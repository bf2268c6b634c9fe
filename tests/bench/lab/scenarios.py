"""The scenarios of the performance issue ("a lab of 300 students asking at once"), and
the time to first token of streamed answers (the conversation issue's target): `stream`
with 100 streams open all the time, `stream-burst` with 100 questions in one second.

Each returns its result dict (report.summarize plus its own figures). Before the
measured window each one times the fake LLM alone with the same client and the same
concurrency: the floor, so overhead figures transfer between machines.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.bench.lab import procstats, report
from tests.bench.lab.console import lab_console_scenario
from tests.bench.lab.measure import Lab, measured, run_all
from tests.bench.lab.students import Recorder, unique_question
from tests.fakes.openai_server import DEFAULT_REPLY

SATURATION_STEPS = (8, 16, 32, 64, 128, 256)
SATURATION_MIN_GAIN = 0.05
CACHE_CLIENTS = (1, 64)
STREAM_STUDENTS = 100
STREAM_LATENCY = 1.0  # stream-burst: the fake's whole answer; its first token comes earlier
STREAM_CHUNK_DELAY = 0.02
# stream: answers as a hosted model writes them, about 120 words at 40 words a second
# after a first token at about 1 s, so a student reads each for about 4 s
STEADY_LATENCY = 4.0
STEADY_CHUNK_DELAY = 0.025
STEADY_SECONDS = 30.0
STEADY_PAUSE = 0.5  # a student asks again within this after an answer ends
STEADY_REPLY = " ".join(
    [
        "Good question, and you are closer than you think.",
        "Before changing anything, look at what your loop does on its very last pass:",
        "which value does the index take there, and how long is the list at that moment?",
        "Print both just before the line that fails and compare them with what you",
        "expected to see. If they differ, ask yourself where the list was last changed,",
        "and whether that happened before or after the loop started. Then try the loop",
        "by hand on a list of two items, writing down the index and the item on each",
        "pass. When the two columns disagree with your expectation, you have found the",
        "step to look at. What do you notice about the first and the last pass?",
        "Tell me what you see and we will take the next step together from there.",
    ]
)


async def floor_burst(lab: Lab, calls: int, latency: float, spread: float) -> dict[str, Any]:
    """`calls` completions straight to the fake, started evenly within `spread` seconds."""
    lab.fake.set_latency(latency)
    rec, url, started = Recorder(), lab.fake.base_url, time.perf_counter()

    async def one(i: int) -> None:
        await asyncio.sleep(spread * i / calls)
        await lab.client.ask_fake(url, unique_question(f"floor {i}"), rec)

    await run_all([one(i) for i in range(calls)], lab.question_timeout)
    return report.floor(rec, latency, time.perf_counter() - started)


async def floor_closed_loop(lab: Lab, clients: int, seconds: float) -> dict[str, Any]:
    """`clients` loops calling the fake at L = 0 for `seconds`: its throughput ceiling."""
    lab.fake.set_latency(0.0)
    rec, url = Recorder(), lab.fake.base_url
    stop_at = time.perf_counter() + seconds

    async def loop(c: int) -> None:
        while time.perf_counter() < stop_at:
            await lab.client.ask_fake(url, unique_question(f"floor c{c}"), rec)

    await run_all([loop(c) for c in range(clients)], seconds + lab.question_timeout)
    return report.floor(rec, 0.0, seconds, window_end=stop_at)


async def warm_up(lab: Lab, questions: int = 16) -> dict[str, Any]:
    """Unmeasured questions at L = 0, so no scenario pays for imports and cold pools."""
    lab.fake.set_latency(0.0)
    rec, questions = Recorder(), min(questions, len(lab.students))
    for _ in range(2):
        coros = [
            lab.client.ask(lab.student(i), unique_question(f"warm {i}"), rec)
            for i in range(questions)
        ]
        await run_all(coros, lab.question_timeout)
    return {"asked": rec.asked, "answered": len(rec.answers), "errors": dict(rec.errors)}


async def recover(lab: Lab, latency: float, timeout: float = 90.0) -> dict[str, Any]:
    """Between scenarios: wait until the API serves again, then leave nothing behind.

    An API still working through a backlog (or stuck) would spoil the next scenario:
    it gets `timeout` seconds to answer a probe, else the platform's processes are
    restarted and warmed up. Then the queue is purged, unanswered questions are marked
    error and the processes must quiet down. Returns how long the API took, for the
    scenario's report (`aftermath`).
    """
    started = time.perf_counter()
    deadline = started + timeout
    recovered = await lab.client.probe(lab.student(0))
    while not recovered and time.perf_counter() < deadline:
        await asyncio.sleep(1.0)
        recovered = await lab.client.probe(lab.student(0))
    serving_s = time.perf_counter() - started
    if not recovered:
        await asyncio.to_thread(lab.stack.restart_platform)
        lab.roots = lab.stack.roots()
    await asyncio.to_thread(lab.stack.settle, latency)
    if not recovered:
        await warm_up(lab)
    quiet = await asyncio.to_thread(procstats.wait_quiet, lab.roots)
    return {
        "api_serving_after_s": round(serving_s, 1) if recovered else None,
        "restarted": not recovered,
        "quiet": quiet,
        "seconds": round(time.perf_counter() - started, 1),
    }


async def lab_scenario(lab: Lab) -> dict[str, Any]:
    """300 students, L = 2 s; each starts within 10 s and asks 3 questions, 0-10 s apart."""
    students, questions, latency = lab.count(300), 3, lab.latency
    think = lab.seconds(10.0, 0.5)
    floor = await floor_burst(lab, students, latency, spread=1.0)
    async with measured(lab, latency) as w:

        async def student(i: int) -> None:
            await asyncio.sleep(lab.rng.uniform(0, think))
            for q in range(questions):
                if q:
                    await asyncio.sleep(lab.rng.uniform(0, think))
                await lab.client.ask(lab.student(i), unique_question(f"lab s{i} q{q}"), w.rec)

        w.timed_out = await run_all([student(i) for i in range(students)], lab.scenario_timeout)
    extra = {"students": students, "questions_each": questions, "think_s": [0, think]}
    return report.summarize(w, students * questions, floor, extra)


async def burst_scenario(lab: Lab) -> dict[str, Any]:
    """300 questions sent within one second, L = 2 s; when was the last one answered?"""
    students, latency = lab.count(300), lab.latency
    floor = await floor_burst(lab, students, latency, spread=1.0)
    async with measured(lab, latency) as w:

        async def one(i: int) -> None:
            await asyncio.sleep(i / students)
            await lab.client.ask(lab.student(i), unique_question(f"burst {i}"), w.rec)

        w.timed_out = await run_all([one(i) for i in range(students)], lab.scenario_timeout)
    last = max((at for at, _ in w.rec.answers + w.rec.hits), default=None)
    last_s = None if last is None else last - w.started
    extra = {
        "students": students,
        "last_answer_s": last_s,
        "last_answer_minus_L_plus_2_s": None if last_s is None else last_s - (latency + 2.0),
    }
    return report.summarize(w, students, floor, extra)


async def saturation_scenario(lab: Lab) -> dict[str, Any]:
    """L = 0, closed loop; concurrency doubles until answered/s gains less than 5 %."""
    steps = sorted({lab.count(c, minimum=1) for c in SATURATION_STEPS})
    step_s = lab.seconds(10.0, 1.0)
    floors = {c: await floor_closed_loop(lab, c, lab.seconds(3.0, 0.5)) for c in steps}
    results: list[dict[str, Any]] = []
    async with measured(lab, 0.0) as w:
        deadline = time.perf_counter() + lab.scenario_timeout
        for clients in steps:
            if time.perf_counter() + step_s > deadline:
                w.timed_out = True
                break
            rec = Recorder()
            start = time.perf_counter()
            stop_at = start + step_s

            async def loop(c: int, rec: Recorder = rec, stop_at: float = stop_at) -> None:
                while time.perf_counter() < stop_at:
                    await lab.client.ask(lab.student(c), unique_question(f"sat c{c}"), rec)

            cut = await run_all([loop(c) for c in range(clients)], step_s + lab.question_timeout)
            w.timed_out |= cut
            w.rec.merge(rec)
            results.append(report.step(clients, rec, start, stop_at, floors[clients]))
            best = max(r["answered_per_s"] for r in results[:-1]) if len(results) > 1 else None
            if best is not None and results[-1]["answered_per_s"] < best * (
                1 + SATURATION_MIN_GAIN
            ):
                break
    best_step = max(results, key=lambda r: r["answered_per_s"], default=None)
    extra = {
        "steps": results,
        "best_concurrency": best_step and best_step["concurrency"],
        "best_answered_per_s": best_step and best_step["answered_per_s"],
    }
    top_floor = floors[best_step["concurrency"]] if best_step else None
    return report.summarize(w, w.rec.asked, top_floor, extra)


async def cache_scenario(lab: Lab) -> dict[str, Any]:
    """Every request a cache hit: one question answered first, then asked again and again."""
    phase_s = lab.seconds(5.0, 1.0)
    clients_list = sorted({lab.count(c, minimum=min(c, 2)) for c in CACHE_CLIENTS})
    floors = {c: await floor_closed_loop(lab, c, lab.seconds(3.0, 0.5)) for c in clients_list}
    question = unique_question("cache")
    fill = Recorder()
    await lab.client.ask(lab.student(0), question, fill)  # the fake is at L = 0 after the floors
    phases: dict[str, Any] = {}
    async with measured(lab, 0.0) as w:
        if fill.errors or not fill.answers:
            w.rec.errors.update({f"cache_fill_{k}": v for k, v in fill.errors.items()})
        for clients in clients_list:
            rec = Recorder()
            start = time.perf_counter()
            stop_at = start + phase_s

            async def loop(c: int, rec: Recorder = rec, stop_at: float = stop_at) -> None:
                while time.perf_counter() < stop_at:
                    await lab.client.ask(lab.student(c), question, rec, hit_only=True)

            w.timed_out |= await run_all(
                [loop(c) for c in range(clients)], phase_s + lab.question_timeout
            )
            w.rec.merge(rec)
            phases[str(clients)] = report.cache_phase(clients, rec, start, stop_at, floors[clients])
    extra = {"phases": phases}
    return report.summarize(w, w.rec.asked, None, extra)


async def idle_scenario(lab: Lab) -> dict[str, Any]:
    """500 students each holding a long-poll for 60 s on a question not answered in that time.

    The questions arrive over 20 s (a burst is the burst scenario's job), so from then
    on until the first student gives up, all of them hold a long-poll at once.
    """
    students = lab.count(500)
    hold, spread = lab.seconds(60.0, 2.0), lab.seconds(20.0, 1.0)
    latency = spread + hold + 10.0  # the fake answers only after everyone has given up
    async with measured(lab, latency) as w:

        async def one(i: int) -> None:
            await asyncio.sleep(spread * i / students)
            await lab.client.hold(lab.student(i), unique_question(f"idle {i}"), hold, w.rec)

        w.timed_out = await run_all([one(i) for i in range(students)], spread + hold + 60)
    extra = {"students": students, "hold_s": hold, "arrivals_over_s": spread, "held": w.rec.held}
    return report.summarize(w, students, None, extra)


async def stream_scenario(lab: Lab) -> dict[str, Any]:
    """100 streams open all the time: each student reads an answer as it is written, then
    soon asks again, for STEADY_SECONDS (the conversation issue's "100 concurrent streams").

    The fake writes about 120 words at STEADY_CHUNK_DELAY after a first token at about
    1 s. The figure is each question's time from submit to its first text, minus the
    fake's own time to first token measured alone with the same 100 streams open; only
    questions asked after the first round (every student streaming) and before the end
    count, with how many streams were open as each was asked.
    """
    students = lab.count(STREAM_STUDENTS)
    # --scale shortens the answers too (the smoke test runs at 0.01); at 1 they are as above
    latency = lab.seconds(STEADY_LATENCY, 0.5)
    steady = {"latency": latency, "chunk_delay": STEADY_CHUNK_DELAY * latency / STEADY_LATENCY}
    pause = STEADY_PAUSE
    # long enough, at any --scale, for every student to ask at least once inside it
    seconds = max(lab.seconds(STEADY_SECONDS, 2.0), 2 * (latency + pause))
    lab.fake.control(**steady, reply=STEADY_REPLY)
    alone, url = Recorder(), lab.fake.base_url
    stop_at = time.perf_counter() + 2 * latency

    async def fake_only(i: int) -> None:
        await asyncio.sleep(latency * i / students)
        while time.perf_counter() < stop_at:
            await lab.client.ask_fake_streaming(url, unique_question(f"steady floor {i}"), alone)

    await run_all([fake_only(i) for i in range(students)], lab.question_timeout)
    floor = report.floor(alone, latency, 2 * latency)
    open_streams: list[tuple[float, int]] = []  # (asked at, streams open then)
    reading = [0]
    async with measured(lab, latency) as w:
        lab.fake.control(**steady)  # `measured` reset the chunk delay
        ramp_end = time.perf_counter() + latency + 1.0
        stop_at = ramp_end + seconds

        async def student(i: int) -> None:
            await asyncio.sleep(latency * i / students)  # a round's arrivals spread out
            while time.perf_counter() < stop_at:
                open_streams.append((time.perf_counter(), reading[0]))
                reading[0] += 1
                try:
                    await lab.client.ask_streaming(
                        lab.student(i), unique_question(f"steady {i}"), w.rec
                    )
                finally:
                    reading[0] -= 1
                await asyncio.sleep(lab.rng.uniform(0, pause))

        w.timed_out = await run_all(
            [student(i) for i in range(students)], seconds + lab.scenario_timeout
        )
    lab.fake.control(chunk_delay=0.0, reply=DEFAULT_REPLY)
    counted = report.asked_between(w.rec, ramp_end, stop_at)
    during = [n for at, n in open_streams if ramp_end <= at < stop_at]
    extra = {
        "students": students,
        "seconds": seconds,
        "questions_counted": len(counted.first_tokens),
        "open_streams": report.spread(during),
        **report.ttft(counted, alone),
    }
    return report.summarize(w, w.rec.asked, floor, extra)


async def stream_burst_scenario(lab: Lab) -> dict[str, Any]:
    """100 students ask within one second and read the answer's SSE stream (a stress
    figure: 100 questions a second is the burst scenario's rate, not a lab's).

    The fake streams (first token after L - (n - 1) * chunk_delay); the figure is each
    student's time from submit to the first text, minus the fake's own time to first
    token measured alone at the same concurrency (target: p50 overhead <= 50 ms).
    """
    students = lab.count(STREAM_STUDENTS)
    lab.fake.control(latency=STREAM_LATENCY, chunk_delay=STREAM_CHUNK_DELAY)
    alone, url = Recorder(), lab.fake.base_url

    async def fake_only(i: int) -> None:
        await asyncio.sleep(i / students)
        await lab.client.ask_fake_streaming(url, unique_question(f"ttft floor {i}"), alone)

    await run_all([fake_only(i) for i in range(students)], lab.question_timeout)
    floor = report.floor(alone, STREAM_LATENCY, 1.0)
    async with measured(lab, STREAM_LATENCY) as w:
        lab.fake.control(chunk_delay=STREAM_CHUNK_DELAY)  # `measured` reset it

        async def one(i: int) -> None:
            await asyncio.sleep(i / students)
            await lab.client.ask_streaming(lab.student(i), unique_question(f"stream {i}"), w.rec)

        w.timed_out = await run_all([one(i) for i in range(students)], lab.scenario_timeout)
    lab.fake.control(chunk_delay=0.0)
    extra = {"students": students, **report.ttft(w.rec, alone)}
    return report.summarize(w, students, floor, extra)


Scenario = Callable[[Lab], Awaitable[dict[str, Any]]]
# In this order: idle leaves slow calls in flight that only the end of the run stops.
SCENARIOS: dict[str, Scenario] = {
    "lab": lab_scenario,
    "lab-console": lab_console_scenario,
    "burst": burst_scenario,
    "saturation": saturation_scenario,
    "cache": cache_scenario,
    "stream": stream_scenario,
    "stream-burst": stream_burst_scenario,
    "idle": idle_scenario,
}
