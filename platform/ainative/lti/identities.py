"""External identities, (issuer, subject) -> one account, for LTI launches and campus OIDC.

An identity seen for the first time makes a new account (name and e-mail from the
claims when free) or, only by that account's own confirmation (its password, checked by
the caller), links to an existing one; a matching e-mail never links by itself. New
accounts have no usable password: they log in through their LMS or campus provider.
Never commits.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ainative import audit
from ainative.auth import deleted_names
from ainative.auth.users import normalise_roles
from ainative.course.consent import record_consent
from ainative.db.models import ExternalIdentity, User

NO_PASSWORD = "!external"  # not a bcrypt hash: verify_password is always False for it
_NAME_RE = re.compile(r"[^a-z0-9_-]+")


def find_user_id(session: Session, *, issuer: str, subject: str) -> int | None:
    """The account of (issuer, subject), noting when it was last seen; None if unknown."""
    row = session.execute(
        select(ExternalIdentity).where(
            ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    row.last_seen_at = datetime.now(UTC)
    return row.user_id


def _free_username(session: Session, wanted: str) -> str:
    """A username like `wanted` (a-z0-9_-, 3-28 chars) that no account has or had."""
    base = _NAME_RE.sub("-", wanted.lower()).strip("-_")[:28] or "user"
    if len(base) < 3:
        base = f"{base}-user"
    for n in range(1, 1000):
        name = base if n == 1 else f"{base[:26]}-{n}"
        taken = session.execute(select(User.id).where(func.lower(User.username) == name)).first()
        if taken is None and not deleted_names.was_deleted(session, name):
            return name
    raise RuntimeError(f"no free username near {wanted!r}")


def create_account(
    session: Session,
    *,
    issuer: str,
    subject: str,
    kind: str,
    name: str = "",
    email: str = "",
    username_hint: str = "",
) -> User:
    """A new account for a first-seen identity, with the identity recorded.

    The e-mail is kept only when no other account has it (it never links accounts);
    otherwise the account gets an address under `.invalid` that reaches no one.
    """
    hint = username_hint or (email.split("@", 1)[0] if email else "") or name or "user"
    username = _free_username(session, hint)
    email = email.strip().lower()
    if not email or session.execute(select(User.id).where(User.email == email)).first():
        email = f"{username}@external.invalid"
    user = User(username=username, email=email, password_hash=NO_PASSWORD, roles=["student"])
    session.add(user)
    session.flush()
    record_consent(session, user_id=user.id, given=False, source=kind)
    session.add(ExternalIdentity(issuer=issuer, subject=subject, kind=kind, user_id=user.id))
    session.flush()
    return user


def link_identity(session: Session, *, issuer: str, subject: str, kind: str, user_id: int) -> None:
    """Bind a first-seen identity to an existing account that has just proved itself."""
    session.add(ExternalIdentity(issuer=issuer, subject=subject, kind=kind, user_id=user_id))
    session.flush()
    audit.record(
        session,
        actor_id=user_id,
        action="lti.identity_linked",
        target_user_id=user_id,
        details={"issuer": issuer, "kind": kind},
    )


def grant_instructor(session: Session, *, user_id: int) -> None:
    """An LMS instructor is an instructor here too (the platform role; never admin)."""
    user = session.get(User, user_id)
    if user is not None and "instructor" not in (user.roles or ()):
        session.execute(
            update(User)
            .where(User.id == user_id)
            .values(
                roles=normalise_roles([*(user.roles or ()), "instructor"]),
                token_generation=User.token_generation + 1,
            )
        )
