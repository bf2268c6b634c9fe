"""Submitting a question: course and session -> quota -> cache -> store -> enqueue.

Used by the API on its event loop: Redis calls are async, each database statement runs
in the thread pool in a transaction of its own through the API's one helper (`db`, the
state's `state.db`), so no connection is held across an await (two statements on the
hot path: the caller's courses and session in one query, ainative.tutor.course_rule,
then the INSERT). Postgres is
the source of truth, so the row is stored before the task is enqueued.

A question with `session_id` continues that conversation: the INSERT numbers it
(`turn`), the worker replays the earlier turns as chat history. Only a first turn is
ever served from the response cache, since a later turn's answer depends on history.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import redis.asyncio as aioredis

from ainative.config import Settings
from ainative.course import experiments
from ainative.course.event_types import AI_WINDOW_REFUSED, QUOTA_EXCEEDED
from ainative.db.engine import Db, on_connection
from ainative.limits import quota
from ainative.observability.metrics import TUTOR_REQUESTS
from ainative.tutor import course_rule, trace
from ainative.tutor import repository as repo
from ainative.tutor.cache import AsyncResponseCache, question_key
from ainative.tutor.classify import classify
from ainative.tutor.errors import (
    AiWindowClosedError,
    ModeNotAllowedError,
    QueueUnavailableError,
    QuotaExceededError,
    SessionNotFoundError,
)


@dataclass
class Question:
    user_id: int
    prompt: str
    mode: str
    context: dict[str, str] = field(default_factory=dict)
    course_id: int | None = None
    session_id: Any = None
    client_request_id: str | None = None
    notebook_path: str | None = None
    cell_id: str | None = None


@dataclass(frozen=True)
class Bound:
    """The course a question belongs to, its policy, and whether it opens its conversation."""

    course_id: int | None
    policy: dict[str, Any]
    first_turn: bool
    policy_version: int | None = None
    experiment_id: int | None = None
    arm_id: int | None = None
    window: dict[str, Any] | None = None  # the AI window in force: {mode, ends_at}


@dataclass
class Submitted:
    """`outcome` is cache_hit (row done), queued, or duplicate (an earlier row, any status)."""

    outcome: str
    row: dict[str, Any]


async def bind(
    db: Db,
    user_id: int,
    course_id: int | None,
    session_id: Any = None,
    key: str = "",
    notebook_path: str | None = None,
) -> Bound:
    """Decide the question's course under the binding rule (ainative.tutor.course_rule), one query.

    SessionNotFoundError for a session that is not the caller's; a CourseRuleError
    (ainative.tutor.errors) for a course they do not belong to, one that conflicts with the
    session's, or none named by a member of several. In a course with a running experiment
    the policy is the caller's arm laid over the course's (`key` breaks ties when a first
    question assigns the arm).
    """
    found = await db(on_connection(course_rule.lookup), user_id, session_id, notebook_path)
    if session_id is not None and not found.session_found:
        raise SessionNotFoundError(session_id)
    chosen = course_rule.choose_course(
        found.courses, named=course_id, session_course=found.session_course
    )
    if chosen is None:
        return Bound(None, {}, found.last_turn == 0)
    first = found.last_turn == 0
    if chosen.experiment_id is None:
        return Bound(chosen.id, chosen.policy, first, chosen.policy_version, window=chosen.window)
    arm = await _arm(db, user_id, chosen, key)
    policy = experiments.effective_policy(chosen.policy, arm)
    return Bound(
        chosen.id,
        policy,
        first,
        chosen.policy_version,
        arm.experiment_id if arm else None,
        arm.arm_id if arm else None,
        chosen.window,
    )


async def _arm(
    db: Db, user_id: int, course: course_rule.CourseChoice, key: str
) -> experiments.Arm | None:
    """The caller's arm: from the lookup, or assigned now (once per student and experiment)."""
    if course.arm is not None:
        arm = course.arm
        return experiments.Arm(
            int(course.experiment_id or 0), "", int(arm["id"]), str(arm["name"]), arm["policy"]
        )
    return await db(
        on_connection(experiments.arm_for), course_id=course.id, user_id=user_id, key=key
    )


def check_mode(policy: Mapping[str, Any], mode: str) -> None:
    allowed = policy.get("allowed_modes")
    if allowed and mode not in allowed:
        raise ModeNotAllowedError(mode, allowed)


async def submit(
    q: Question,
    *,
    db: Db,
    redis: aioredis.Redis,
    cache: AsyncResponseCache,
    enqueue: Callable[[str], Awaitable[None]],
    settings: Settings,
) -> Submitted:
    """Accept a question: answered from the cache, or stored and queued."""
    started = time.perf_counter()
    bound = await bind(
        db,
        q.user_id,
        q.course_id,
        q.session_id,
        settings.experiment_allocation_key(),
        q.notebook_path,
    )
    q, policy = replace(q, course_id=bound.course_id), bound.policy
    window = (bound.window or {}).get("mode")
    if window == "off":
        await _refused_by_window(db, q, bound.window or {})
    if window == "hints-only":
        policy = {**policy, "allowed_modes": ["hints"]}
    check_mode(policy, q.mode)
    status = await quota.consume(redis, q.user_id, q.course_id, quota.limit_for(policy, settings))
    if not status.allowed:
        TUTOR_REQUESTS.labels("quota_exceeded").inc()
        await db(
            on_connection(repo.add_event),
            QUOTA_EXCEEDED,
            user_id=q.user_id,
            course_id=q.course_id,
            session_id=q.session_id,
            payload={"limit": status.limit, "mode": q.mode},
        )
        raise QuotaExceededError(status)
    key = question_key(
        prompt=q.prompt, mode=q.mode, context=q.context, policy=policy, settings=settings
    )
    base = dict(
        user_id=q.user_id,
        session_id=q.session_id,
        course_id=q.course_id,
        client_request_id=q.client_request_id,
        mode=q.mode,
        prompt=q.prompt,
        context=q.context or None,
        notebook_path=q.notebook_path,
        cell_id=q.cell_id,
        policy_version=bound.policy_version,
        experiment_id=bound.experiment_id,
        arm_id=bound.arm_id,
        ai_window=window,
    )
    # A later turn is answered with its history, so only a first turn may come from the
    # cache; the INSERT re-checks (first_turn_only) against a concurrent turn.
    hit = await cache.get(key) if bound.first_turn and window is None else None
    if hit is not None:
        row = await db(
            on_connection(repo.insert_interaction),
            **base,
            **hit.as_hit(classify(q.prompt, q.context)),
            status="done",
            queue_ms=0,
            total_ms=int((time.perf_counter() - started) * 1000),
            first_turn_only=True,
        )
        if row is not None:
            TUTOR_REQUESTS.labels("cache_hit").inc()
            return Submitted("cache_hit", row)
    row = await db(on_connection(repo.insert_interaction), **base)
    if row is None:
        return await _duplicate(q, db, redis)
    try:
        await enqueue(str(row["id"]))
    except Exception as exc:
        await db(on_connection(trace.fail), str(row["id"]), "the tutor queue was unavailable")
        await quota.refund(redis, q.user_id, q.course_id)
        TUTOR_REQUESTS.labels("rejected").inc()
        raise QueueUnavailableError(retry_after=30) from exc
    TUTOR_REQUESTS.labels("queued").inc()
    return Submitted("queued", row)


async def _refused_by_window(db: Db, q: Question, window: Mapping[str, Any]) -> None:
    """Record the refusal for research (no LLM call, no row) and refuse."""
    ends_at = window.get("ends_at")
    TUTOR_REQUESTS.labels("window_refused").inc()
    await db(
        on_connection(repo.add_event),
        AI_WINDOW_REFUSED,
        user_id=q.user_id,
        course_id=q.course_id,
        session_id=q.session_id,
        payload={"notebook_path": q.notebook_path, "ends_at": ends_at, "mode": q.mode},
    )
    raise AiWindowClosedError(str(ends_at) if ends_at else None)


async def _duplicate(q: Question, db: Db, redis: aioredis.Redis) -> Submitted:
    """The INSERT stored nothing: a repeated client_request_id, or a session not theirs
    (deleted between the lookup and the INSERT)."""
    await quota.refund(redis, q.user_id, q.course_id)
    if q.client_request_id:
        existing = await db(
            on_connection(repo.find_by_client_request), q.user_id, q.client_request_id
        )
        if existing is not None:
            return Submitted("duplicate", existing)
    raise SessionNotFoundError(q.session_id)
