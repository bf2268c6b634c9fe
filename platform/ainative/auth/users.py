"""The users service: accounts, logins, passwords, roles and flags.

Every function takes the SQLAlchemy session first and keyword-only arguments after
it, and never commits: the caller owns the transaction (the API's `state.db`, the CLI's
and the hub's `session_scope`), so all of them share one behaviour. Refresh tokens live
in ainative.auth.refresh_tokens, the Redis flags that stop live access tokens in
ainative.auth.revocation, the refusals in ainative.auth.errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ainative.auth import deleted_names
from ainative.auth.errors import (
    DeletedUsernameError,
    DuplicateUserError,
    InactiveUserError,
    IncorrectPasswordError,
    InvalidCredentialsError,
    InvalidUserInput,
    SelfLockoutError,
    UserNotFoundError,
)
from ainative.auth.passwords import (
    USERNAME_RE,
    burn_password_check,
    hash_password,
    password_problem,
    verify_password,
)
from ainative.auth.refresh_tokens import revoke_user_tokens
from ainative.course.consent import CONSENT_TEXT_VERSION, record_consent
from ainative.db.models import ROLES, User


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
    if deleted_names.was_deleted(session, username):
        raise DeletedUsernameError(deleted_names.REFUSED)
    user = User(
        username=username,
        email=email,
        password_hash=hash_password(password),
        roles=normalise_roles(roles),
        is_verified=is_verified,
        research_consent=research_consent,
    )
    try:
        with session.begin_nested():  # a concurrent registration may win the race
            session.add(user)
    except IntegrityError as exc:
        raise DuplicateUserError("that username or email is already registered") from exc
    record_consent(session, user_id=user.id, given=research_consent, source="registration")
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
    return user


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

    A new token generation ends hub sessions and live access tokens (revocation's
    publish_generation spreads it to the API processes); every refresh token is revoked.
    """
    user.password_hash = hash_password(new_password)
    user.password_changed_at = _now()
    user.token_generation = (user.token_generation or 0) + 1
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
    consent_by: tuple[str, int | None] = ("student", None),
    consent_text_version: str = CONSENT_TEXT_VERSION,
) -> User:
    """Change roles and flags; deactivation also revokes every refresh token.

    A consent change is recorded with `consent_by` (source, actor id: the student by
    default) and the consent text version the student was shown.

    A change of roles or of activation starts a new token generation, so access tokens
    issued before it stop at once (where Redis carries it: revocation.publish_account).
    """
    if roles is not None:
        wanted = normalise_roles(roles)
        if wanted != list(user.roles or ()):
            user.token_generation = (user.token_generation or 0) + 1
        user.roles = wanted
    if is_verified is not None:
        user.is_verified = is_verified
    if research_consent is not None and research_consent != user.research_consent:
        source, actor = consent_by
        record_consent(
            session,
            user_id=user.id,
            given=research_consent,
            source=source,
            actor_id=actor,
            text_version=consent_text_version,
        )
        user.research_consent = research_consent
    deactivated = is_active is False and user.is_active
    if deactivated:
        user.token_generation = (user.token_generation or 0) + 1
    if is_active is not None:
        user.is_active = is_active
    if deactivated:
        revoke_user_tokens(session, user_id=user.id)
    return user


def update_account(
    session: Session,
    *,
    user_id: int,
    actor_id: int | None = None,
    roles: Sequence[str] | None = None,
    is_active: bool | None = None,
    is_verified: bool | None = None,
    research_consent: bool | None = None,
    consent_text_version: str = CONSENT_TEXT_VERSION,
) -> User:
    """Change an account by id, as an admin (the API) or an operator (the CLI) asks.

    `actor_id` is the admin making the change, who may not lock themselves out. Once the
    caller has committed, revocation.publish_account carries the change to Redis.
    """
    if actor_id == user_id and (is_active is False or (roles is not None and "admin" not in roles)):
        raise SelfLockoutError("admins cannot deactivate or demote themselves")
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
        consent_by=("admin", actor_id) if actor_id is not None else ("operator", None),
        consent_text_version=consent_text_version,
    )
