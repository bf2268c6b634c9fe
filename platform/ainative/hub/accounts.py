"""What the hub needs from the platform's user DB: who someone is, and single-use login tokens.

Plain synchronous functions over a SQLAlchemy session; the authenticator runs them in a
thread so bcrypt and the database never block the hub's event loop.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ainative.auth import refresh_tokens, server_tokens
from ainative.auth import users as users_service
from ainative.auth.passwords import burn_password_check, verify_password
from ainative.auth.tokens import TokenError, decode_token
from ainative.config import Settings
from ainative.db.models import Course, Membership, UsedLoginToken, User

_SLUG_RE = re.compile(r"[^a-z0-9]+")
# The login_user() data key of an account an LTI launch or OIDC login verified; form
# fields are always str, so no request body can put an Account there.
EXTERNAL_ACCOUNT = "ainative_external_account"


class ReplayError(Exception):
    """A login token whose jti was already used."""


@dataclass(frozen=True)
class CourseRole:
    code: str
    role: str  # student | assistant | instructor (assistants: the staff group, no servers)
    id: int = 0
    title: str = ""

    def public(self) -> dict[str, Any]:
        """What the student's server is told about the course (AINATIVE_COURSES)."""
        return {"id": self.id, "code": self.code, "title": self.title, "role": self.role}


@dataclass(frozen=True)
class Account:
    """A platform user as the hub sees it."""

    id: int
    username: str
    roles: tuple[str, ...]
    is_active: bool
    courses: tuple[CourseRole, ...] = ()
    generation: int = 0  # the user's token generation: a hub session of an older one ends

    @property
    def hub_name(self) -> str:
        """JupyterHub lower-cases names; platform usernames are [A-Za-z0-9_-]."""
        return self.username.lower()

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def course_slug(code: str) -> str:
    """A course code as it may appear in hub group and role names (lower-case, a-z0-9-)."""
    return _SLUG_RE.sub("-", code.lower()).strip("-") or "course"


def _account(session: Session, user: User) -> Account:
    rows = session.execute(
        select(Course.code, Membership.role, Course.id, Course.title)
        .join(Membership, Membership.course_id == Course.id)
        .where(Membership.user_id == user.id)
        .order_by(Course.code)
    ).all()
    return Account(
        id=user.id,
        username=user.username,
        roles=tuple(user.roles or ()),
        is_active=bool(user.is_active),
        courses=tuple(CourseRole(code, role, cid, title) for code, role, cid, title in rows),
        generation=int(user.token_generation or 0),
    )


def find_user(session: Session, username: str) -> User | None:
    """By username (case-insensitive; the hub only knows lower-case names) or by email."""
    return users_service.get_user_by_login(session, login=username)


def load_account(
    session: Session, *, user_id: int | None = None, username: str = ""
) -> Account | None:
    """The account by id (preferred) or by name, or None when it no longer exists."""
    user = session.get(User, user_id) if user_id is not None else find_user(session, username)
    return _account(session, user) if user is not None else None


def check_password(session: Session, username: str, password: str) -> Account | None:
    """The account when the password matches; unknown names cost one bcrypt check too."""
    user = find_user(session, username) if username else None
    if user is None:
        burn_password_check(password)
        return None
    if not verify_password(password, user.password_hash):
        return None
    return _account(session, user)


def consume_login_token(session: Session, claims: dict[str, Any]) -> None:
    """Mark the token's jti used; a second use of the same jti raises ReplayError."""
    stmt = (
        insert(UsedLoginToken)
        .values(jti=uuid.UUID(str(claims["jti"])), user_id=int(claims["sub"]))
        .on_conflict_do_nothing(index_elements=["jti"])
        .returning(UsedLoginToken.jti)
    )
    if session.execute(stmt).first() is None:
        raise ReplayError("this login link has already been used")


def login_token_used(session: Session, claims: dict[str, Any]) -> bool:
    """Whether the token's jti is already used (checked before asking, not consuming it)."""
    jti = uuid.UUID(str(claims["jti"]))
    return session.get(UsedLoginToken, jti) is not None


def record_login(session: Session, user_id: int) -> None:
    session.execute(update(User).where(User.id == user_id).values(last_login=datetime.now(UTC)))


def issue_api_tokens(session: Session, account: Account, settings: Settings) -> dict[str, Any]:
    """A fresh access/refresh pair for the API, recorded like an API login (a new family).

    Each server start gets its own family, so a rotated token in an old server never
    looks like reuse of this one.
    """
    user = session.get(User, account.id)
    if user is None:
        raise LookupError(f"user {account.id} no longer exists")
    pair = refresh_tokens.issue_tokens(session, user=user, settings=settings)
    return {
        "access_token": pair.access_token,
        "access_expires_at": int(time.time()) + pair.expires_in,
        "refresh_token": pair.refresh_token,
    }


def issue_server_tokens(session: Session, account: Account, settings: Settings) -> dict[str, Any]:
    """A server start's credentials: an access token with scope "tutor" and the server key
    that renews it (ainative.auth.server_tokens); no refresh token, no full access token."""
    user = session.get(User, account.id)
    if user is None:
        raise LookupError(f"user {account.id} no longer exists")
    creds = server_tokens.issue_server_credentials(session, user=user, settings=settings)
    return {
        "server_access_token": creds.access_token,
        "server_access_expires_at": int(time.time()) + creds.expires_in,
        "server_key": creds.server_key,
    }


def retire_server_key(session: Session, server_key: str | None, settings: Settings) -> None:
    """Revoke a server's key once that server is gone or replaced."""
    server_tokens.retire_server_key(session, server_key, settings)


def retire_refresh_family(session: Session, refresh_token: str | None, settings: Settings) -> None:
    """Revoke the family of a server's refresh token once that server is gone or replaced."""
    if not refresh_token:
        return
    try:
        claims = decode_token(refresh_token, "refresh", settings)
    except TokenError:
        return  # expired or malformed: nothing left to revoke
    refresh_tokens.revoke_family(session, family_id=claims["fam"])
