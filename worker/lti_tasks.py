"""LTI task bodies: `lti.sync_roster(course_id, requested_by)` on request and beat's
`lti.sync_rosters` over every LMS course that offers a roster (ainative.lti.roster).

A sync is safe to repeat (it brings the course in line with the LMS), so a redelivered
task does no harm; an LMS refusal is recorded on the sync's row and never retried here
(the next beat tries again).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from ainative.db.engine import session_scope
from ainative.lti import roster
from ainative.lti.errors import RosterError
from ainative.observability.metrics import TASKS
from ainative.runtime.queue import TASK_LTI_SYNC, TASK_LTI_SYNC_ALL

logger = logging.getLogger(__name__)


@shared_task(name=TASK_LTI_SYNC)  # type: ignore[untyped-decorator]  # Celery: no types
def sync_roster(course_id: int, requested_by: int | None = None) -> dict[str, Any]:
    """One course's roster sync; the sync's record (status error when the LMS refused)."""
    try:
        result = roster.sync_course(int(course_id), requested_by=requested_by)
    except RosterError as exc:
        logger.warning("roster sync of course %s failed: %s", course_id, exc)
        TASKS.labels(TASK_LTI_SYNC, "error").inc()
        return {"course_id": course_id, "status": "error", "error": str(exc)}
    TASKS.labels(TASK_LTI_SYNC, "success").inc()
    return result


@shared_task(name=TASK_LTI_SYNC_ALL)  # type: ignore[untyped-decorator]  # Celery: no types
def sync_rosters() -> dict[str, int]:
    """Every LMS course with a roster service, one after the other."""
    with session_scope() as session:
        contexts = roster.syncable_contexts(session)
    failed = 0
    for context_id in contexts:
        try:
            roster.sync_context(context_id, requested_by=None)
        except RosterError as exc:
            failed += 1
            logger.warning("roster sync of LMS context %s failed: %s", context_id, exc)
    TASKS.labels(TASK_LTI_SYNC_ALL, "success").inc()
    return {"contexts": len(contexts), "failed": failed}
