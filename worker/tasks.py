"""Task bodies: `tutor.answer(interaction_id)`, the sweeper `tutor.sweep` and
`tutor.hub_removal`, beat's retry of deleted accounts' hub part (ainative.hub.removal).

`answer` is idempotent on the interaction id: it returns early when the row is done
or failed, and its final write is conditional on the row not being done. Late acks
and reject-on-worker-lost (ainative.runtime.queue) mean a killed worker's task is delivered
again or re-enqueued by the sweeper; either way one row gets one answer.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from celery import Task, shared_task

from ainative.config import get_settings
from ainative.db.engine import autocommit, session_scope
from ainative.hub import removal
from ainative.llm import LLMError
from ainative.observability.metrics import END_TO_END, QUEUE_WAIT, TASKS, TUTOR_REQUESTS
from ainative.runtime.queue import TASK_ANSWER, TASK_HUB_REMOVAL, TASK_SWEEP
from ainative.tutor import trace
from ainative.tutor.answering import produce_answer
from ainative.tutor.streaming.writer import StreamPublisher
from worker import (
    lease,
    lti_tasks,  # noqa: F401  (registers lti.sync_roster and lti.sync_rosters)
    signals,  # noqa: F401  (registers the signal handlers)
)
from worker.runtime import answer_stream, publish_done, response_cache
from worker.sweeper import sweep_once

logger = logging.getLogger(__name__)


class InteractionLog(logging.LoggerAdapter[logging.Logger]):
    """Prefix every line with the interaction id; never log prompts or answers."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        interaction_id = (self.extra or {}).get("interaction_id")
        return f"[interaction {interaction_id}] {msg}", kwargs


def _fail(interaction_id: str, message: str, stream: StreamPublisher) -> None:
    with autocommit() as conn:
        stored = trace.fail(conn, interaction_id, message)
    if stored:  # one line per final write: tests/faults counts them per interaction
        logger.info("stored the error", extra={"final_write": "error"})
    stream.end()
    publish_done(interaction_id)


@shared_task(name=TASK_ANSWER, bind=True)  # type: ignore[untyped-decorator]  # Celery: no types
def answer(self: Task, interaction_id: str) -> str:
    """Answer one tutoring request, streaming its text to readers, and wake its waiters."""
    log = InteractionLog(logger, {"interaction_id": interaction_id})
    settings = get_settings()
    with autocommit() as conn:
        row = trace.start_attempt(conn, interaction_id)
    if row is None:
        log.info("already finished or unknown; nothing to do")
        TASKS.labels(TASK_ANSWER, "skipped").inc()
        return "skipped"
    QUEUE_WAIT.observe((row["queue_ms"] or 0) / 1000)
    log.info("attempt %d, mode %s", row["attempts"], row["mode"])
    stream = answer_stream(interaction_id)
    try:
        with lease.held(interaction_id):
            values = produce_answer(
                row,
                row.get("policy"),
                settings=settings,
                cache=response_cache(),
                on_release=stream.publish,
            )
    except LLMError as exc:
        log.warning("LLM failed for good: %s (%s)", exc, exc.reason)
        _fail(
            interaction_id,
            f"The tutor could not answer right now: {exc}. Please try again.",
            stream,
        )
        TUTOR_REQUESTS.labels("error").inc()
        TASKS.labels(TASK_ANSWER, "failure").inc()
        return "error"
    except Exception:
        log.exception("unexpected failure")
        _fail(interaction_id, "The tutor hit an internal error answering this question.", stream)
        TUTOR_REQUESTS.labels("error").inc()
        TASKS.labels(TASK_ANSWER, "failure").inc()
        raise
    with autocommit() as conn:
        total_ms = trace.complete(conn, interaction_id, **values.as_row())
    stream.end()
    publish_done(interaction_id)
    if total_ms is None:
        log.info("another attempt stored the answer first")
        TASKS.labels(TASK_ANSWER, "duplicate").inc()
        return "duplicate"
    END_TO_END.observe(total_ms / 1000)
    TUTOR_REQUESTS.labels("answered").inc()
    if values.guardrail != "passed":
        TUTOR_REQUESTS.labels(f"guardrail_{values.guardrail}").inc()
    TASKS.labels(TASK_ANSWER, "success").inc()
    log.info(
        "answered in %d ms (llm %d ms, cache %s)",
        total_ms,
        values.llm_ms,
        values.cache_hit,
        extra={"final_write": "done"},
    )
    return "done"


@shared_task(name=TASK_SWEEP)  # type: ignore[untyped-decorator]  # Celery: no types
def sweep() -> dict[str, int]:
    """Re-enqueue interactions stuck in queued/running; give up on those out of attempts."""
    result = sweep_once(answer)
    TASKS.labels(TASK_SWEEP, "success").inc()
    return result


@shared_task(name=TASK_HUB_REMOVAL)  # type: ignore[untyped-decorator]  # Celery: no types
def hub_removal() -> dict[str, int]:
    """Ask the hub again to remove the users of deleted accounts it could not remove yet."""
    settings = get_settings()
    with session_scope() as session:
        names = removal.pending(session)
    failed = 0
    for name in names:
        error = removal.remove_sync(settings, name)
        with session_scope() as session:
            removal.record(session, name, error)
        failed += error is not None
    if failed:
        logger.warning("hub removal: %d of %d deleted accounts still queued", failed, len(names))
    TASKS.labels(TASK_HUB_REMOVAL, "success").inc()
    return {"removed": len(names) - failed, "queued": failed}
