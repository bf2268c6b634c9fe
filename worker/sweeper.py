"""The sweeper: nothing accepted with 202 stays unanswered.

Interactions in queued/running whose last activity (started_at, else created_at) is
older than SWEEPER_STALE_SECONDS were lost (Redis restarted, a worker killed or stuck):
a worker renews started_at of the attempts it is running (worker/lease.py), so a
slow attempt is not taken for a lost one. They
are re-enqueued, up to SWEEPER_MAX_ATTEMPTS, then marked error so the student hears
about it. Rows are claimed with FOR UPDATE SKIP LOCKED and their timestamp bumped
in the same statement, so concurrent sweepers never enqueue a row twice in a pass.
"""

from __future__ import annotations

import logging
from typing import Any

from ainative.config import get_settings
from ainative.db.engine import get_engine
from ainative.observability.metrics import SWEEPER_REQUEUED, TUTOR_REQUESTS
from ainative.tutor import trace
from worker.runtime import publish_done

log = logging.getLogger(__name__)


def sweep_once(answer_task: Any) -> dict[str, int]:
    """One pass; `answer_task` is the registered tutor.answer task."""
    settings = get_settings()
    with get_engine().begin() as conn:
        requeue, failed = trace.sweep(
            conn,
            settings.sweeper_stale_seconds,
            settings.sweeper_max_attempts,
            settings.sweeper_batch_size,
        )
    for interaction_id in requeue:
        answer_task.apply_async(args=[interaction_id])
        SWEEPER_REQUEUED.inc()
    for interaction_id in failed:
        log.warning(
            "sweeper: gave up on %s",
            interaction_id,
            extra={"final_write": "error", "interaction_id": interaction_id},
        )
        TUTOR_REQUESTS.labels("error").inc()
        publish_done(interaction_id)
    if requeue or failed:
        log.warning("sweeper: re-enqueued %d, gave up on %d", len(requeue), len(failed))
    return {"requeued": len(requeue), "failed": len(failed)}
