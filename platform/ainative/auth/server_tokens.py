"""A single-user server's credentials: a scoped access token and the key that renews it.

The hub gives each server start (hub/authenticator.py pre_spawn_start) a fresh server key
and an access token with scope "tutor" (tokens.py), never a refresh token: whoever can open
the server (the student's code, an instructor or admin through the hub's access scopes)
gets only what the widget does, not me/*, auth/* or a hub login.

The key is recorded as a family of one row in refresh_tokens, so the existing revocation
reaches it: a password change or deactivation (revoke_user_tokens), the server stopping or
the user logging in again (revoke_family). Renewal never marks it used: it is idempotent,
so any number of kernels (and a restarted one) renew at once without looking like reuse.
It also checks the token generation, so a role change stops it too. Functions take the
session first and never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ainative.auth.errors import InvalidServerKeyError
from ainative.auth.refresh_tokens import revoke_family
from ainative.auth.tokens import (
    IssuedToken,
    TokenError,
    decode_token,
    issue_server_access_token,
    issue_server_key,
)
from ainative.config import Settings, get_settings
from ainative.db.models import RefreshToken, User


@dataclass(frozen=True)
class ServerCredentials:
    access_token: str
    expires_in: int
    server_key: str
    family_id: str


def _access(user: User, settings: Settings) -> IssuedToken:
    return issue_server_access_token(
        user.id, user.username, list(user.roles), settings, generation=user.token_generation or 0
    )


def issue_server_credentials(
    session: Session, *, user: User, settings: Settings | None = None
) -> ServerCredentials:
    """A scoped access token and a recorded server key (its own family) for one server start."""
    settings = settings or get_settings()
    family_id = str(uuid.uuid4())
    key = issue_server_key(user.id, family_id, settings, generation=user.token_generation or 0)
    session.add(
        RefreshToken(
            jti=uuid.UUID(key.jti),
            family_id=uuid.UUID(family_id),
            user_id=user.id,
            expires_at=key.expires_at,
        )
    )
    return ServerCredentials(
        access_token=_access(user, settings).token,
        expires_in=settings.jwt_server_token_expire_minutes * 60,
        server_key=key.token,
        family_id=family_id,
    )


def renew_server_token(
    session: Session, *, server_key: str, settings: Settings | None = None
) -> tuple[str, int]:
    """A fresh scoped access token and its lifetime in seconds; nothing is rotated."""
    settings = settings or get_settings()
    try:
        claims = decode_token(server_key, "server", settings)
    except TokenError as exc:
        raise InvalidServerKeyError(f"{exc}: restart your server from the hub") from exc
    row = session.get(RefreshToken, uuid.UUID(claims["jti"]))
    if row is None or row.user_id != int(claims["sub"]) or row.revoked_at is not None:
        raise InvalidServerKeyError(
            "this server's key has been revoked: restart your server from the hub"
        )
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise InvalidServerKeyError("account is deactivated")
    if int(claims.get("gen") or 0) != (user.token_generation or 0):
        raise InvalidServerKeyError(
            "your password or roles changed since this server started: restart it from the hub"
        )
    return _access(user, settings).token, settings.jwt_server_token_expire_minutes * 60


def retire_server_key(session: Session, server_key: str | None, settings: Settings) -> None:
    """Revoke a server's key once that server is gone or replaced (expired: nothing to do)."""
    if not server_key:
        return
    try:
        claims = decode_token(server_key, "server", settings)
    except TokenError:
        return
    revoke_family(session, family_id=claims["fam"])
