"""Submitting a question: course policy -> quota -> cache -> store -> enqueue.

Used by the API on its event loop: Redis calls are async, each database statement runs
in the thread pool on a connection checked out for that statement only (`run_db`), so
no connection is held across an await (at most two statements on the hot path: the
course policy when a course is named, and the INSERT). Postgres is the source of truth, so the row
is stored before the task is enqueued.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import Engine

from ainative import quota
from ainative.config import Settings
from ainative.db.engine import run_db
from ainative.observability.metrics import TUTOR_REQUESTS
from ainative.tutor import repository as repo
from ainative.tutor import trace
from ainative.tutor.cache import AsyncResponseCache, question_key
from ainative.tutor.classify import classify

INTERACTION_NOT_FOUND = "interaction not found"


class TutorError(Exception):
    """A refusal with the HTTP status and message the API should send."""

    def __init__(
        self,
        status: int,
        detail: str,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}
        self.extra = extra or {}  # more fields for the body (the quota's refill time)


@dataclass
class Question:
    user_id: int
    prompt: str
    mode: str
    context: dict[str, str] = field(default_factory=dict)
    course_id: int | None = None
    session_id: Any = None
    client_request_id: str | None = None


@dataclass
class Submitted:
    """`outcome` is cache_hit (row done), queued, or duplicate (an earlier row, any status)."""

    outcome: str
    row: dict[str, Any]


async def course_policy(engine: Engine, user_id: int, course_id: int | None) -> dict[str, Any]:
    """The tutor policy of a course the caller belongs to; 404 for unknown or not a member."""
    if course_id is None:
        return {}
    policy: dict[str, Any] | None = await run_db(engine, repo.course_policy, user_id, course_id)
    if policy is None:
        raise TutorError(404, f"course {course_id} not found, or you are not a member of it")
    return policy


def check_mode(policy: Mapping[str, Any], mode: str) -> None:
    allowed = policy.get("allowed_modes")
    if allowed and mode not in allowed:
        raise TutorError(
            422, f"mode '{mode}' is not allowed in this course; allowed: {', '.join(allowed)}"
        )


async def submit(
    q: Question,
    *,
    engine: Engine,
    redis: aioredis.Redis,
    cache: AsyncResponseCache,
    enqueue: Callable[[str], Awaitable[None]],
    settings: Settings,
) -> Submitted:
    """Accept a question: answered from the cache, or stored and queued."""
    started = time.perf_counter()
    policy = await course_policy(engine, q.user_id, q.course_id)
    check_mode(policy, q.mode)
    status = await quota.consume(redis, q.user_id, q.course_id, quota.limit_for(policy, settings))
    if not status.allowed:
        TUTOR_REQUESTS.labels("quota_exceeded").inc()
        await run_db(
            engine,
            repo.add_event,
            "quota.exceeded",
            user_id=q.user_id,
            course_id=q.course_id,
            session_id=q.session_id,
            payload={"limit": status.limit, "mode": q.mode},
        )
        raise TutorError(
            429, status.detail(), {"Retry-After": str(status.retry_after)}, status.public()
        )
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
    )
    hit = await cache.get(key)
    if hit is not None:
        row = await run_db(
            engine,
            repo.insert_interaction,
            **base,
            **hit.as_hit(classify(q.prompt, q.context)),
            status="done",
            queue_ms=0,
            total_ms=int((time.perf_counter() - started) * 1000),
        )
        if row is not None:
            TUTOR_REQUESTS.labels("cache_hit").inc()
            return Submitted("cache_hit", row)
    else:
        row = await run_db(engine, repo.insert_interaction, **base)
    if row is None:
        return await _duplicate(q, engine, redis)
    try:
        await enqueue(str(row["id"]))
    except Exception as exc:
        await run_db(engine, trace.fail, str(row["id"]), "the tutor queue was unavailable")
        await quota.refund(redis, q.user_id, q.course_id)
        TUTOR_REQUESTS.labels("rejected").inc()
        raise TutorError(
            503,
            "the tutor queue is unavailable right now; please try again in a minute",
            {"Retry-After": "30"},
        ) from exc
    TUTOR_REQUESTS.labels("queued").inc()
    return Submitted("queued", row)


async def _duplicate(q: Question, engine: Engine, redis: aioredis.Redis) -> Submitted:
    """The INSERT stored nothing: a repeated client_request_id, or a session not theirs."""
    await quota.refund(redis, q.user_id, q.course_id)
    if q.client_request_id:
        existing = await run_db(engine, repo.find_by_client_request, q.user_id, q.client_request_id)
        if existing is not None:
            return Submitted("duplicate", existing)
    raise TutorError(404, f"tutor session {q.session_id} not found")
