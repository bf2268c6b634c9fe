"""Refresh tokens: issued per login as a family, rotated on each use, revoked as a family.

Each use marks the row used and issues the next token of the same family; presenting a
used (or revoked) token again revokes the whole family, because only a thief or a replay
can hold a token that was already exchanged. Functions take the session first and never
commit: the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ainative.auth.errors import InvalidRefreshTokenError
from ainative.auth.tokens import TokenError, decode_token, issue_access_token, issue_refresh_token
from ainative.config import Settings, get_settings
from ainative.db.models import RefreshToken, User


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    access_jti: str
    family_id: str


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: a new pair, or a refusal whose revocation must still be committed.

    A reused, revoked or orphaned token revokes its family and is refused; the refusal is
    returned rather than raised so that the caller commits the revocation first.
    """

    pair: TokenPair | None = None
    refusal: InvalidRefreshTokenError | None = None

    def pair_or_raise(self) -> TokenPair:
        if self.pair is None:
            raise self.refusal or InvalidRefreshTokenError("refresh token is not recognised")
        return self.pair


def issue_tokens(
    session: Session, *, user: User, family_id: str | None = None, settings: Settings | None = None
) -> TokenPair:
    """An access token and a recorded refresh token (a new family unless given)."""
    settings = settings or get_settings()
    family_id = family_id or str(uuid.uuid4())
    access = issue_access_token(
        user.id, user.username, list(user.roles), settings, generation=user.token_generation or 0
    )
    refresh = issue_refresh_token(user.id, family_id, settings)
    session.add(
        RefreshToken(
            jti=uuid.UUID(refresh.jti),
            family_id=uuid.UUID(family_id),
            user_id=user.id,
            expires_at=refresh.expires_at,
        )
    )
    return TokenPair(
        access_token=access.token,
        refresh_token=refresh.token,
        expires_in=settings.jwt_access_token_expire_minutes * 60,
        access_jti=access.jti,
        family_id=family_id,
    )


def _revoke(session: Session, *where: Any) -> int:
    result = session.execute(
        update(RefreshToken)
        .where(*where)
        .where(RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return cast(CursorResult[Any], result).rowcount  # an UPDATE's result is a cursor result


def revoke_family(session: Session, *, family_id: str | uuid.UUID) -> int:
    """Revoke every live token of one login's chain; returns how many."""
    return _revoke(session, RefreshToken.family_id == uuid.UUID(str(family_id)))


def revoke_user_tokens(session: Session, *, user_id: int) -> int:
    """Revoke all of a user's refresh tokens (password change, deactivation)."""
    return _revoke(session, RefreshToken.user_id == user_id)


def rotate_refresh_token(
    session: Session, *, token: str, settings: Settings | None = None
) -> Rotation:
    """Exchange a refresh token for a new pair; a reused token revokes its family.

    The row is locked (SELECT ... FOR UPDATE) so two concurrent exchanges of the
    same token cannot both succeed: the second waits, sees it used, and revokes.
    Raises InvalidRefreshTokenError for a token that changes nothing (malformed,
    unknown); returns the refusal of one whose family it revoked (`Rotation`).
    """
    try:
        claims = decode_token(token, "refresh", settings)
    except TokenError as exc:
        raise InvalidRefreshTokenError(str(exc)) from exc
    row = session.execute(
        select(RefreshToken).where(RefreshToken.jti == uuid.UUID(claims["jti"])).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.user_id != int(claims["sub"]):
        raise InvalidRefreshTokenError("refresh token is not recognised: log in again")
    if row.used_at is not None or row.revoked_at is not None:
        revoke_family(session, family_id=row.family_id)
        if row.used_at is not None:
            return Rotation(
                refusal=InvalidRefreshTokenError(
                    "refresh token was already used; all sessions of this login are revoked"
                )
            )
        return Rotation(
            refusal=InvalidRefreshTokenError("refresh token has been revoked: log in again")
        )
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        revoke_family(session, family_id=row.family_id)
        return Rotation(refusal=InvalidRefreshTokenError("account is deactivated"))
    row.used_at = datetime.now(UTC)
    pair = issue_tokens(session, user=user, family_id=str(row.family_id), settings=settings)
    return Rotation(pair=pair)


def revoke_refresh_token(session: Session, *, token: str, user_id: int) -> bool:
    """Logout: revoke the family of `token` if it is a valid token of `user_id`."""
    try:
        claims = decode_token(token, "refresh")
    except TokenError:
        return False
    if int(claims["sub"]) != user_id:
        return False
    return revoke_family(session, family_id=claims["fam"]) > 0
