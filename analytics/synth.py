"""Synthetic cohorts: seeded, realistic traces so a fresh install has something to analyse.

The generator is a small behavioural model, not a replay of real data: activity is
heavy-tailed (a minority of heavy users), work bunches up before weekly deadlines,
some students mostly ask for solutions, failing cells are often followed by a help
request, and a helpful answer makes the next run more likely to succeed.
``analytics.synth_write`` writes a cohort into the platform's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ainative.auth.demo_accounts import random_password
from ainative.course.event_types import CELL_EXECUTED
from ainative.course.experiments import ARM_POLICY_KEYS, tie_break
from ainative.tutor.classify import classify
from analytics import synth_text as text

# Share of requests per tutor mode. Every mode of the registry (ainative.tutor.modes) needs
# a weight here; a unit test checks it. The order is part of the seeded output: keep it.
MODE_WEIGHTS = {"socratic": 0.5, "hints": 0.25, "explanatory": 0.2, "metacognitive": 0.05}
_MODE_CHOICES = tuple(MODE_WEIGHTS)
_MODE_P = tuple(MODE_WEIGHTS.values())
RECEIVE_LAG = timedelta(seconds=1)  # kernel clock -> server receive time of cell runs
# The planted effect: the chance that the student's next run succeeds after an answer,
# by the answer's guardrail outcome. Analyses of a synthetic cohort should recover it
# (within their uncertainty); change it through CohortSpec.next_run_success.
NEXT_RUN_SUCCESS = {"passed": 0.8, "rewritten": 0.7, "refused": 0.35}
THUMBS_SHARE, BOTH_SHARE = 0.8, 0.25  # of rated answers: with thumbs; with thumbs and a score


@dataclass(frozen=True)
class ArmSpec:
    """One arm of a synthetic experiment and the effect planted in it.

    `next_run_success` is P(the student's next run succeeds | an answer) in this arm,
    whatever the answer's guardrail outcome: the difference between two arms' values is
    the true effect an analysis should recover. None keeps the cohort's by-guardrail
    table (CohortSpec.next_run_success). `policy` is stored as the arm's policy
    (keys of ainative.course.experiments.ARM_POLICY_KEYS); it documents, it does not act.
    """

    name: str
    next_run_success: float | None = None
    policy: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.policy) - set(ARM_POLICY_KEYS)
        if unknown:
            raise ValueError(f"an arm cannot set {', '.join(sorted(unknown))}")
        p = self.next_run_success
        if p is not None and not 0.0 <= p <= 1.0:
            raise ValueError(f"arm {self.name}: next_run_success must lie in [0, 1]")


@dataclass(frozen=True)
class ExperimentSpec:
    """A synthetic experiment: named arms, students assigned as the platform assigns them.

    A student is assigned at their first tutor request (students arrive in index order):
    to the arm with the fewest students so far, ties broken by the same keyed hash as
    ``ainative.course.experiments.arm_for`` (keyed by `key`, with the student's index and
    experiment 0 standing in for ids not known before writing).
    """

    name: str = "synthetic-experiment"
    arms: tuple[ArmSpec, ...] = (ArmSpec("control"), ArmSpec("treatment"))
    description: str = "synthetic cohort with a planted effect"
    key: str = "synthetic"

    def __post_init__(self) -> None:
        names = [a.name for a in self.arms]
        if len(names) < 2 or len(set(names)) != len(names):
            raise ValueError("an experiment needs at least two arms with distinct names")


@dataclass(frozen=True)
class CohortSpec:
    """What to generate: cohort size, span in days, seed and the course's identity."""

    students: int = 60
    days: int = 28
    seed: int = 0
    course_code: str = "DEMO101"
    course_title: str = "Demo: Programming 1"
    consent_rate: float = 0.85
    tutor_use_rate: float = 0.85
    deadline_every_days: int = 7
    end: datetime | None = None  # default: now, so the data ends today
    # P(next run succeeds | answer's guardrail outcome): see NEXT_RUN_SUCCESS
    next_run_success: dict[str, float] = field(default_factory=lambda: dict(NEXT_RUN_SUCCESS))
    # None: no experiment (the platform's default); else arms with their planted effects
    experiment: ExperimentSpec | None = None


@dataclass(frozen=True)
class Logins:
    """Passwords of a written cohort, random, shown once and stored only as hashes.

    The students share one (hashed once, so seeding stays fast); the instructor has its own.
    """

    students: str
    instructor: str

    @classmethod
    def random(cls) -> Logins:
        return cls(students=random_password(), instructor=random_password())


@dataclass
class Cohort:
    """Generated rows, one DataFrame per table (user_id holds the student's index)."""

    spec: CohortSpec
    users: pd.DataFrame
    deadlines: list[datetime]
    sessions: list[dict[str, Any]] = field(default_factory=list)
    interactions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    start: datetime | None = None
    # student index -> (arm index, assigned_at), filled only with an experiment
    assignments: dict[int, tuple[int, datetime]] = field(default_factory=dict)

    @property
    def instructor(self) -> str:
        """The username of the course's instructor account."""
        return f"{self.users.username.iloc[0].split('_s')[0]}_teacher"

    def assign(self, student: int, at: datetime) -> int | None:
        """The student's arm index, assigning one on first use (None: no experiment)."""
        experiment = self.spec.experiment
        if experiment is None:
            return None
        if student not in self.assignments:
            filled = [0] * len(experiment.arms)
            for arm, _ in self.assignments.values():
                filled[arm] += 1
            arm = min(
                range(len(experiment.arms)),
                key=lambda a: (
                    filled[a],
                    tie_break(experiment.key, student, 0, experiment.arms[a].name),
                ),
            )
            self.assignments[student] = (arm, at)
        return self.assignments[student][0]


def _deadlines(start: datetime, end: datetime, every: int) -> list[datetime]:
    out, t = [], start + timedelta(days=every) - timedelta(minutes=1)
    while t <= end:
        out.append(t)
        t += timedelta(days=every)
    return out or [end]


def _hours_to_deadline(t: datetime, deadlines: list[datetime]) -> float:
    ahead = [(d - t).total_seconds() / 3600 for d in deadlines if d >= t]
    return min(ahead) if ahead else 1e6


# Hour-of-day profile of student work: a day peak and a late-evening tail.
HOUR_WEIGHTS = np.array(
    [3, 2, 1, 0.5, 0.3, 0.3, 0.5, 1, 3, 6, 8, 9, 7, 8, 9, 9, 8, 6, 5, 6, 7, 7, 6, 4], float
)
HOUR_WEIGHTS /= HOUR_WEIGHTS.sum()


def generate(spec: CohortSpec) -> Cohort:
    """Generate a cohort from `spec`; the same spec gives the same rows."""
    rng = np.random.default_rng(spec.seed)
    end = (spec.end or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    start = (end - timedelta(days=spec.days)).replace(hour=0, minute=0, second=0)
    deadlines = _deadlines(start, end, spec.deadline_every_days)
    n = spec.students
    prefix = "".join(ch for ch in spec.course_code.lower() if ch.isalnum())[:20]
    users = pd.DataFrame(
        {
            "index": np.arange(n),
            "username": [f"{prefix}_s{i:04d}" for i in range(n)],
            "research_consent": rng.random(n) < spec.consent_rate,
            "uses_tutor": rng.random(n) < spec.tutor_use_rate,
            "activity": rng.lognormal(0.0, 0.7, n),
            "solution_seeking": np.where(
                rng.random(n) < 0.2, rng.beta(5, 3, n), rng.beta(1.2, 8, n)
            ),
            "error_rate": rng.beta(2, 6, n),
            "help_after_error": rng.beta(2, 3, n),
        }
    )
    cohort = Cohort(spec, users, deadlines, start=start)
    for student in users.itertuples():
        for day in range(spec.days):
            day_start = start + timedelta(days=day)
            to_deadline = _hours_to_deadline(day_start + timedelta(hours=12), deadlines)
            rate = 0.35 * student.activity * (1 + 3 * np.exp(-to_deadline / 36))
            for _ in range(rng.poisson(rate)):
                hour = rng.choice(24, p=HOUR_WEIGHTS)
                begin = day_start + timedelta(hours=int(hour), seconds=int(rng.integers(3600)))
                if begin < end - timedelta(hours=2):
                    _session(cohort, student, begin, rng)
    return cohort


def _session(cohort: Cohort, student: Any, begin: datetime, rng: np.random.Generator) -> None:
    """One working session: cell runs, errors, help requests, answers.

    As on the platform, the tutor session opens at the sitting's first question: runs
    before it, and every run of a sitting without a question, carry no session (NULL),
    and a sitting without a question has no tutor session row.
    """
    session_id = uuid.UUID(bytes=rng.bytes(16), version=4)
    opened: datetime | None = None  # when the first question opened the tutor session
    t, count = begin, 0
    runs = 5 + rng.poisson(12 * np.sqrt(student.activity))
    exercise = int(rng.integers(len(text.EXERCISES)))
    success_next: float | None = None  # set after an answer: its effect on the next run
    for _ in range(runs):
        t += timedelta(seconds=5 + float(rng.exponential(70)))
        count += 1
        failed = rng.random() > (1 - student.error_rate if success_next is None else success_next)
        success_next = None
        error_type = text.pick_error(rng) if failed else None
        code = text.code_for(exercise, error_type, rng)
        cohort.events.append(
            {
                "event_type": CELL_EXECUTED,
                "user_id": student.index,
                "session_id": session_id if opened is not None else None,
                "occurred_at": t,
                # the server receives kernel events in batches, about a flush later
                "created_at": t + RECEIVE_LAG,
                "payload": {
                    "code": code,
                    "success": not failed,
                    "execution_count": count,
                    "error_type": error_type,
                    "error_message": text.error_message(error_type) if failed else None,
                    # what the recorder stores besides (no draw: the stream stays the same)
                    "error_first_line": text.ERRORS[error_type] if error_type else None,
                    "error_line": text.error_line(code) if failed else None,
                },
            }
        )
        if not student.uses_tutor:
            continue
        asks = (failed and rng.random() < student.help_after_error) or rng.random() < 0.04
        if asks:
            t, success_next = _interaction(cohort, student, session_id, t, code, error_type, rng)
            opened = opened or cohort.interactions[-1]["created_at"]
    ended = t + timedelta(seconds=int(rng.integers(30, 600)))  # drawn always: same stream
    if opened is not None:
        cohort.sessions.append(
            {
                "id": session_id,
                "user_id": student.index,
                "client": "notebook",
                "started_at": opened,
                "ended_at": ended,
            }
        )


def _interaction(
    cohort: Cohort,
    student: Any,
    session_id: uuid.UUID,
    t: datetime,
    code: str,
    error_type: str | None,
    rng: np.random.Generator,
) -> tuple[datetime, float]:
    """One help request and its answer; returns when the student moves on and the chance
    that their next run succeeds."""
    created = t + timedelta(seconds=5 + float(rng.exponential(40)))
    if rng.random() < student.solution_seeking:
        kind = "solution-request"
    elif error_type:
        kind = "debugging" if rng.random() < 0.8 else "conceptual"
    else:
        kind = str(rng.choice(["conceptual", "implementation", "off-topic"], p=[0.55, 0.4, 0.05]))
    prompt = text.prompt_for(kind, error_type, rng)
    context = {"code": code, "error": text.error_message(error_type) if error_type else ""}
    classification = classify(prompt, context)  # the live classifier, as the worker runs it
    cache_hit = bool(rng.random() < (0.25 if kind in ("conceptual", "solution-request") else 0.08))
    failed = bool(rng.random() < 0.02)
    queue_ms = int(rng.exponential(250)) + 5
    llm_ms = 0 if cache_hit else int(rng.lognormal(np.log(1600), 0.45))
    total_ms = int(rng.integers(8, 60)) if cache_hit else queue_ms + llm_ms + 40
    if classification == "solution-request":
        guardrail = str(rng.choice(["passed", "rewritten", "refused"], p=[0.3, 0.4, 0.3]))
    else:
        guardrail = str(rng.choice(["passed", "rewritten", "refused"], p=[0.9, 0.09, 0.01]))
    with_code = guardrail != "refused" and rng.random() < 0.3
    rated = rng.random() < 0.45 and not failed
    helpful = cohort.spec.next_run_success[guardrail]
    arm = cohort.assign(student.index, created)
    experiment = cohort.spec.experiment
    if arm is not None and experiment is not None:
        planted = experiment.arms[arm].next_run_success
        helpful = helpful if planted is None else planted
    # Two rating scales, as the platform stores them: the widget's thumbs (most ratings)
    # and a 1-5 score from other clients; some answers get both.
    scale = rng.random()
    thumbs = rated and scale < THUMBS_SHARE
    scored = rated and scale >= THUMBS_SHARE - BOTH_SHARE
    thumbs_up = bool(rng.random() < helpful)
    score = int(np.clip(rng.normal(3.8 if guardrail != "refused" else 2.2, 1.0), 1, 5))
    completed = created + timedelta(milliseconds=total_ms)
    row = {
        "id": uuid.UUID(bytes=rng.bytes(16), version=4),
        "user_id": student.index,
        "session_id": session_id,
        "mode": str(rng.choice(_MODE_CHOICES, p=_MODE_P)),
        "prompt": prompt,
        "context": context,
        "answer": None if failed else text.answer_for(kind, guardrail, with_code),
        "status": "error" if failed else "done",
        "attempts": 1,
        "cache_hit": cache_hit and not failed,
        "provider": "offline",
        "model": "offline-socratic",
        "prompt_version": "v1",
        "prompt_tokens": int(rng.integers(80, 900)),
        "completion_tokens": None if failed else int(rng.integers(40, 500)),
        "queue_ms": None if cache_hit else queue_ms,
        "llm_ms": None if cache_hit or failed else llm_ms,
        "total_ms": total_ms,
        "classification": classification,
        "guardrail": None if failed else guardrail,
        "error": "LLM provider timed out" if failed else None,
        "created_at": created,
        "started_at": None if cache_hit else created + timedelta(milliseconds=queue_ms),
        "completed_at": completed,
        "helpful": thumbs_up if thumbs else None,
        "score": score if scored else None,
        "rated_at": completed + timedelta(seconds=30) if rated else None,
    }
    if arm is not None:
        row["arm"] = arm  # the arm's index; write() turns it into ids
    cohort.interactions.append(row)
    after = completed + timedelta(seconds=10 + float(rng.exponential(60)))
    return after, (1 - student.error_rate if failed else helpful)
