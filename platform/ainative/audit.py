"""The audit log: who enrolled, invited, removed or reset whom, and when.

`record` adds one row in the caller's session, so the entry commits (or rolls back) with
the action it records: an enrolment without its entry cannot exist. Like every service
it never commits. Actions are named `<thing>.<verb>`, the ones in ACTIONS.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ainative.db.models import AuditEntry

ACTIONS = frozenset(
    {
        "membership.added",  # an admin enrolled (or changed the role of) an account
        "membership.joined",  # the account joined by its own action (join code, invitation)
        "membership.removed",
        "invitation.created",
        "invitation.accepted",
        "invitation.declined",
        "reset_link.created",
        "reset_link.used",
        "policy.changed",  # details: the new policy version
        "join_code.rotated",
        "join_code.expired",
        "lti.identity_linked",  # an account confirmed (by its password) an LMS/OIDC identity
        "lti.course_linked",  # an LMS instructor bound an LMS context to a course
        "lti.roster_synced",  # an NRPS roster sync ran (details: counts of its changes)
        "escalation.claimed",  # staff took a student's hand-off (details: escalation_id)
        "escalation.replied",
        "escalation.resolved",
        "assignment.created",  # details: id, title, notebook_path (never the reference)
        "assignment.changed",  # details: id and the names of the fields changed
        "assignment.deleted",
        "ai_window.created",  # details: id, assignment_id, mode, starts_at, ends_at
        "ai_window.deleted",
    }
)


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    course_id: int | None = None,
    target_user_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one entry to the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            course_id=course_id,
            target_user_id=target_user_id,
            details=dict(details or {}),
        )
    )


def entries_about(session: Session, *, target_user_id: int) -> list[AuditEntry]:
    """Every entry whose target is the account, oldest first."""
    session.flush()
    query = select(AuditEntry).where(AuditEntry.target_user_id == target_user_id)
    return list(session.execute(query.order_by(AuditEntry.id)).scalars())
