"""The users service: accounts, logins, rotating refresh tokens and their revocation.

Every function takes the SQLAlchemy session first and keyword-only arguments after
it, and commits its own work, so the API, the hub and the CLI share one behaviour.
Refresh tokens rotate: each use marks the row used and issues the next token of the
same family; presenting a used (or revoked) token again revokes the whole family,
because only a thief or a replay can hold a token that was already exchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import anyio
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ainative.auth.passwords import (
    USERNAME_RE,
    burn_password_check,
    hash_password,
    password_problem,
    verify_password,
)
from ainative.auth.tokens import TokenError, decode_token, issue_access_token, issue_refresh_token
from ainative.config import Settings, get_settings
from ainative.course.consent import record_consent
from ainative.db.models import ROLES, RefreshToken, User


def revoked_access_key(jti: str) -> str:
    """Redis key marking one access token (by jti) as logged out."""
    return f"auth:revoked:access:{jti}"


def disabled_user_key(user_id: int) -> str:
    """Redis key marking a deactivated user, so their live access tokens stop at once."""
    return f"auth:disabled:user:{user_id}"


def token_generation_key(user_id: int) -> str:
    """Redis key holding a user's token generation: access tokens of an older one are refused."""
    return f"auth:gen:user:{user_id}"


class UserError(Exception):
    """A refusal whose message is safe to show to the caller."""


class InvalidUserInput(UserError):
    """Username, email, password or roles break the rules."""


class DuplicateUserError(UserError):
    """The username or email is already taken."""


class InvalidCredentialsError(UserError):
    """Unknown account or wrong password: deliberately the same error."""


class InactiveUserError(UserError):
    """The account exists but has been deactivated."""


class IncorrectPasswordError(UserError):
    """The current password given to confirm a change is wrong."""


class InvalidRefreshTokenError(UserError):
    """The refresh token is malformed, expired, unknown, used, revoked, or its account inactive."""


class UserNotFoundError(UserError):
    """No account with that id."""


class SelfLockoutError(UserError):
    """An admin tried to deactivate or demote their own account."""


class AccessNotUpdatedError(UserError):
    """The account was saved, but Redis could not take the live access tokens' flag."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    access_jti: str
    family_id: str


def _now() -> datetime:
    return datetime.now(UTC)


def normalise_roles(roles: Iterable[str]) -> list[str]:
    """Known roles, deduplicated in canonical order; at least one."""
    wanted = {str(r).strip().lower() for r in roles}
    unknown = wanted - set(ROLES)
    if unknown:
        raise InvalidUserInput(
            f"unknown role(s): {', '.join(sorted(unknown))}; use {', '.join(ROLES)}"
        )
    if not wanted:
        raise InvalidUserInput("a user needs at least one role")
    return [r for r in ROLES if r in wanted]


def create_user(
    session: Session,
    *,
    username: str,
    email: str,
    password: str,
    roles: Sequence[str] = ("student",),
    is_verified: bool = False,
    research_consent: bool = False,
) -> User:
    """Create an account, refusing weak passwords and taken names with a clear message."""
    if not USERNAME_RE.match(username):
        raise InvalidUserInput("username must be 3-32 letters, digits, '-' or '_'")
    problem = password_problem(password)
    if problem:
        raise InvalidUserInput(problem)
    email = email.strip().lower()
    taken = session.execute(
        select(User.username, User.email).where(
            or_(func.lower(User.username) == username.lower(), User.email == email)
        )
    ).first()
    if taken:
        what = "username" if taken.username.lower() == username.lower() else "email"
        raise DuplicateUserError(f"that {what} is already registered")
    user = User(
        username=username,
        email=email,
        password_hash=hash_password(password),
        roles=normalise_roles(roles),
        is_verified=is_verified,
        research_consent=research_consent,
    )
    session.add(user)
    try:
        session.flush()
        record_consent(session, user_id=user.id, given=research_consent, source="registration")
        session.commit()
    except IntegrityError as exc:  # a concurrent registration won the race
        session.rollback()
        raise DuplicateUserError("that username or email is already registered") from exc
    return user


def get_user(session: Session, *, user_id: int) -> User | None:
    return session.get(User, user_id)


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # an unpaired surrogate
        return False
    return True


def get_user_by_login(session: Session, *, login: str) -> User | None:
    """Find by username (case-insensitive) or, when it has an '@', by email."""
    login = login.strip()
    if "\x00" in login or not _encodable(login):
        return None  # no account has such a name, and PostgreSQL could not even compare it
    if "@" in login:
        clause = User.email == login.lower()
    else:
        clause = func.lower(User.username) == login.lower()
    return session.execute(select(User).where(clause)).scalar_one_or_none()


def login_key(session: Session, *, login: str) -> str:
    """The login limit's name for an account: one per account, by username or email alike."""
    user = get_user_by_login(session, login=login)
    return f"user:{user.id}" if user is not None else f"name:{login.strip().lower()}"


def list_users(session: Session, *, offset: int = 0, limit: int = 50) -> tuple[list[User], int]:
    """One page of users by id, and the total count."""
    total = session.execute(select(func.count()).select_from(User)).scalar_one()
    users = session.execute(select(User).order_by(User.id).offset(offset).limit(limit)).scalars()
    return list(users), int(total)


def authenticate(session: Session, *, login: str, password: str) -> User:
    """The user for a correct password; records last_login.

    Unknown accounts cost one bcrypt check too, and get the same error as a wrong
    password. Deactivation is only revealed to someone who knows the password.
    """
    user = get_user_by_login(session, login=login)
    if user is None:
        burn_password_check(password)
        raise InvalidCredentialsError("incorrect username or password")
    if not verify_password(password, user.password_hash):
        raise InvalidCredentialsError("incorrect username or password")
    if not user.is_active:
        raise InactiveUserError("account is deactivated")
    user.last_login = _now()
    session.commit()
    return user


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
    session.commit()
    return TokenPair(
        access_token=access.token,
        refresh_token=refresh.token,
        expires_in=settings.jwt_access_token_expire_minutes * 60,
        access_jti=access.jti,
        family_id=family_id,
    )


def revoke_family(session: Session, *, family_id: str | uuid.UUID) -> int:
    """Revoke every live token of one login's chain; returns how many."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == uuid.UUID(str(family_id)))
        .where(RefreshToken.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
    session.commit()
    return cast(CursorResult[Any], result).rowcount  # an UPDATE's result is a cursor result


def revoke_user_tokens(session: Session, *, user_id: int) -> int:
    """Revoke all of a user's refresh tokens (password change, deactivation)."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id)
        .where(RefreshToken.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
    session.commit()
    return cast(CursorResult[Any], result).rowcount  # an UPDATE's result is a cursor result


def rotate_refresh_token(
    session: Session, *, token: str, settings: Settings | None = None
) -> tuple[User, TokenPair]:
    """Exchange a refresh token for a new pair; a reused token revokes its family.

    The row is locked (SELECT ... FOR UPDATE) so two concurrent exchanges of the
    same token cannot both succeed: the second waits, sees it used, and revokes.
    """
    try:
        claims = decode_token(token, "refresh", settings)
    except TokenError as exc:
        raise InvalidRefreshTokenError(str(exc)) from exc
    row = session.execute(
        select(RefreshToken).where(RefreshToken.jti == uuid.UUID(claims["jti"])).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.user_id != int(claims["sub"]):
        session.rollback()
        raise InvalidRefreshTokenError("refresh token is not recognised: log in again")
    if row.used_at is not None or row.revoked_at is not None:
        reused = row.used_at is not None
        session.rollback()
        revoke_family(session, family_id=row.family_id)
        if reused:
            raise InvalidRefreshTokenError(
                "refresh token was already used; all sessions of this login are revoked"
            )
        raise InvalidRefreshTokenError("refresh token has been revoked: log in again")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        session.rollback()
        revoke_family(session, family_id=row.family_id)
        raise InvalidRefreshTokenError("account is deactivated")
    row.used_at = _now()
    return user, issue_tokens(session, user=user, family_id=str(row.family_id), settings=settings)


def revoke_refresh_token(session: Session, *, token: str, user_id: int) -> bool:
    """Logout: revoke the family of `token` if it is a valid token of `user_id`."""
    try:
        claims = decode_token(token, "refresh")
    except TokenError:
        return False
    if int(claims["sub"]) != user_id:
        return False
    return revoke_family(session, family_id=claims["fam"]) > 0


def change_password(
    session: Session, *, user_id: int, current_password: str, new_password: str
) -> User:
    """Set a new password after checking the current one; revokes all refresh tokens."""
    user = session.get(User, user_id)
    if user is None or not verify_password(current_password, user.password_hash):
        raise IncorrectPasswordError("current password is incorrect")
    problem = password_problem(new_password)
    if problem:
        raise InvalidUserInput(problem)
    if current_password == new_password:
        raise InvalidUserInput("the new password must differ from the current one")
    return set_password(session, user=user, new_password=new_password)


def set_password(session: Session, *, user: User, new_password: str) -> User:
    """Store a new password (already checked) and end every login of the account.

    A new token generation ends hub sessions and live access tokens (publish_generation
    spreads it to the API processes); every refresh token is revoked.
    """
    user.password_hash = hash_password(new_password)
    user.password_changed_at = _now()
    user.token_generation = (user.token_generation or 0) + 1
    session.commit()
    revoke_user_tokens(session, user_id=user.id)
    return user


def update_user(
    session: Session,
    *,
    user: User,
    roles: Sequence[str] | None = None,
    is_active: bool | None = None,
    is_verified: bool | None = None,
    research_consent: bool | None = None,
) -> User:
    """Change roles and flags; deactivation also revokes every refresh token.

    A change of roles or of activation starts a new token generation, so access tokens
    issued before it stop at once (where Redis carries it: `publish_generation`).
    """
    if roles is not None:
        wanted = normalise_roles(roles)
        if wanted != list(user.roles or ()):
            user.token_generation = (user.token_generation or 0) + 1
        user.roles = wanted
    if is_verified is not None:
        user.is_verified = is_verified
    if research_consent is not None and research_consent != user.research_consent:
        record_consent(session, user_id=user.id, given=research_consent)
        user.research_consent = research_consent
    deactivated = is_active is False and user.is_active
    if deactivated:
        user.token_generation = (user.token_generation or 0) + 1
    if is_active is not None:
        user.is_active = is_active
    session.commit()
    if deactivated:
        revoke_user_tokens(session, user_id=user.id)
    return user


async def publish_generation(
    redis: aioredis.Redis, *, user_id: int, generation: int, settings: Settings | None = None
) -> None:
    """Tell every API process the user's token generation (raises RedisError).

    The key lives as long as an access token: after that none of an older generation is
    left, and refreshed tokens carry the generation from the database.
    """
    ttl = disabled_flag_ttl(settings or get_settings())
    await redis.set(token_generation_key(user_id), generation, ex=ttl)


def disabled_flag_ttl(settings: Settings) -> int:
    """Seconds the disabled flag must live: longer than any access token issued before it."""
    return settings.jwt_access_token_expire_minutes * 60 + 10


async def update_account(
    session: Session,
    redis: aioredis.Redis | None,
    *,
    user_id: int,
    actor_id: int | None = None,
    roles: Sequence[str] | None = None,
    is_active: bool | None = None,
    is_verified: bool | None = None,
    research_consent: bool | None = None,
    settings: Settings | None = None,
) -> User:
    """Change an account; (de)activating also flips its disabled flag in Redis at once.

    The one path for the API (async Redis) and the CLI (`asyncio.run`): the database work
    runs in a worker thread. `actor_id` is the admin making the change, who may not lock
    themselves out. With `redis` None (no REDIS_URL) live access tokens simply expire.
    Raises AccessNotUpdatedError AFTER saving when Redis could not be written.
    """
    if actor_id == user_id and (is_active is False or (roles is not None and "admin" not in roles)):
        raise SelfLockoutError("admins cannot deactivate or demote themselves")

    def save() -> User:
        user = get_user(session, user_id=user_id)
        if user is None:
            raise UserNotFoundError(f"no user with id {user_id}")
        return update_user(
            session,
            user=user,
            roles=roles,
            is_active=is_active,
            is_verified=is_verified,
            research_consent=research_consent,
        )

    user = await anyio.to_thread.run_sync(save)
    if redis is None:
        return user
    try:
        await publish_generation(
            redis, user_id=user_id, generation=user.token_generation, settings=settings
        )
        if is_active:
            await redis.delete(disabled_user_key(user_id))
        elif is_active is False:
            ttl = disabled_flag_ttl(settings or get_settings())
            await redis.set(disabled_user_key(user_id), "1", ex=ttl)
    except RedisError as exc:
        raise AccessNotUpdatedError(
            "saved, but live access tokens could not be updated in Redis: repeat the request"
        ) from exc
    return user
