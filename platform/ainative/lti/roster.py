"""A course's roster brought in line with its LMS context (NRPS): enrol, drop, re-role.

- a member the LMS lists as Active is enrolled with the role it says (an account made
  for them when their LMS identity is new, as at a first launch);
- a member the LMS lists as Inactive or Deleted, or no longer lists, loses the course
  membership (their data stay: questions, events, consent), but only accounts with an
  identity from this LMS: people who joined by code or invitation are not the LMS's;
- a changed role is updated.
Every change is audit-logged; each sync is a row of lti_roster_syncs with its changes,
which the staff console shows. `sync_course` commits in steps (record, fetch, apply), so
a failed fetch is recorded too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ainative import audit
from ainative.course import courses
from ainative.db.engine import session_scope
from ainative.db.models import (
    ExternalIdentity,
    LtiContext,
    LtiPlatform,
    LtiRosterSync,
    Membership,
    User,
)
from ainative.lti import identities, keys, nrps
from ainative.lti.claims import course_role
from ainative.lti.errors import RosterError


def syncable_contexts(session: Session, course_id: int | None = None) -> list[int]:
    """Ids of the LMS contexts that announced an NRPS URL (of one course, or all)."""
    stmt = select(LtiContext.id).where(LtiContext.memberships_url.is_not(None))
    if course_id is not None:
        stmt = stmt.where(LtiContext.course_id == course_id)
    return list(session.execute(stmt.order_by(LtiContext.id)).scalars())


def apply_roster(
    session: Session,
    *,
    context: LtiContext,
    platform: LtiPlatform,
    members: list[nrps.Member],
    actor_id: int | None,
) -> dict[str, list[dict[str, Any]]]:
    """Bring the course's memberships in line with `members`; the changes made."""
    changes: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "role_changed": []}
    course_id, issuer = context.course_id, platform.issuer
    active: set[int] = set()
    for member in members:
        role = course_role(member.roles)
        if member.status != "Active" or role is None:
            continue
        user_id = identities.find_user_id(session, issuer=issuer, subject=member.user_id)
        if user_id is None:
            user_id = identities.create_account(
                session,
                issuer=issuer,
                subject=member.user_id,
                kind="lti",
                name=member.name,
                email=member.email,
            ).id
        active.add(user_id)
        current = courses.member_role(session, course_id=course_id, user_id=user_id)
        if current == role:
            continue
        if role == "instructor":
            identities.grant_instructor(session, user_id=user_id)
        courses.add_member(session, course_id=course_id, user_id=user_id, role=role)
        kind = "added" if current is None else "role_changed"
        entry = {"user_id": user_id, "username": _name(session, user_id), "role": role}
        if current is not None:
            entry["previous"] = current
        changes[kind].append(entry)
        audit.record(
            session,
            actor_id=actor_id,
            action="membership.added",
            course_id=course_id,
            target_user_id=user_id,
            details={"role": role, "via": "lti-roster", "previous": current},
        )
    lms_members = session.execute(
        select(Membership.user_id, Membership.role)
        .join(ExternalIdentity, ExternalIdentity.user_id == Membership.user_id)
        .where(Membership.course_id == course_id, ExternalIdentity.issuer == issuer)
        .distinct()
    ).all()
    for user_id, role in lms_members:
        if user_id in active:
            continue
        courses.remove_member(session, course_id=course_id, user_id=user_id)
        changes["removed"].append(
            {"user_id": user_id, "username": _name(session, user_id), "role": role}
        )
        audit.record(
            session,
            actor_id=actor_id,
            action="membership.removed",
            course_id=course_id,
            target_user_id=user_id,
            details={"role": role, "via": "lti-roster"},
        )
    return changes


def _name(session: Session, user_id: int) -> str:
    return str(session.execute(select(User.username).where(User.id == user_id)).scalar_one())


def sync_context(context_id: int, *, requested_by: int | None) -> dict[str, Any]:
    """Fetch and apply one context's roster; the sync's record as a dict."""
    with session_scope() as session:
        context = session.get(LtiContext, context_id)
        if context is None or not context.memberships_url:
            raise RosterError("this LMS course offers no roster service (NRPS)")
        platform = session.get(LtiPlatform, context.platform_id)
        if platform is None:
            raise RosterError("the LMS platform of this course is no longer registered")
        key = keys.tool_key(session)
        session.expunge(key)
        row = LtiRosterSync(
            lti_context_id=context.id, course_id=context.course_id, requested_by=requested_by
        )
        session.add(row)
        session.flush()
        sync_id = row.id
        target = (platform.client_id, platform.token_url, context.memberships_url)
    try:
        members = nrps.fetch_members(
            key, client_id=target[0], token_url=target[1], memberships_url=target[2]
        )
    except RosterError as exc:
        with session_scope() as session:
            failed = session.get(LtiRosterSync, sync_id)
            if failed is not None:
                failed.status, failed.error = "error", str(exc)
                failed.finished_at = datetime.now(UTC)
        raise
    with session_scope() as session:
        bound = session.get(LtiContext, context_id)
        platform = session.get(LtiPlatform, bound.platform_id) if bound else None
        done = session.get(LtiRosterSync, sync_id)
        if bound is None or platform is None or done is None:
            raise RosterError("the LMS course was unlinked during the sync")
        changes = apply_roster(
            session, context=bound, platform=platform, members=members, actor_id=requested_by
        )
        done.changes, done.status, done.finished_at = changes, "done", datetime.now(UTC)
        audit.record(
            session,
            actor_id=requested_by,
            action="lti.roster_synced",
            course_id=bound.course_id,
            details={k: len(v) for k, v in changes.items()},
        )
        session.flush()
        return sync_public(done)


def sync_course(course_id: int, *, requested_by: int | None) -> dict[str, Any]:
    """Sync every LMS context bound to the course; the last sync's record."""
    with session_scope() as session:
        contexts = syncable_contexts(session, course_id)
    if not contexts:
        raise RosterError(
            "this course has no LMS roster: launch it once from an LMS course that offers "
            "Names and Role Provisioning"
        )
    result: dict[str, Any] = {}
    for context_id in contexts:
        result = sync_context(context_id, requested_by=requested_by)
    return result


def sync_public(row: LtiRosterSync) -> dict[str, Any]:
    return {
        "id": row.id,
        "course_id": row.course_id,
        "status": row.status,
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "changes": row.changes or {},
        "error": row.error,
    }


def last_sync(session: Session, *, course_id: int) -> dict[str, Any] | None:
    """The course's latest roster sync (None before the first), and whether it can sync."""
    row = session.execute(
        select(LtiRosterSync)
        .where(LtiRosterSync.course_id == course_id)
        .order_by(LtiRosterSync.started_at.desc(), LtiRosterSync.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return sync_public(row) if row is not None else None
