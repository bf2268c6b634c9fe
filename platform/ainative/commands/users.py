"""`ainative users`: create, list, set roles of and deactivate accounts from a shell.

The first admin has to come from somewhere: `ainative users create --role admin`.
Deactivation also marks the user disabled in Redis (when REDIS_URL is set), so
their live access tokens stop working at once, as through the API.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any

from ainative.db.models import ROLES

if TYPE_CHECKING:
    from ainative.db.models import User


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("users", help="manage user accounts")
    cmds = p.add_subparsers(dest="users_command", required=True)

    c = cmds.add_parser("create", help="create an account")
    c.add_argument("--username", required=True)
    c.add_argument("--email", required=True)
    c.add_argument("--password", help="prompted for when omitted")
    c.add_argument(
        "--role", action="append", choices=ROLES, help="repeat for several (default student)"
    )
    c.add_argument("--consent", action="store_true", help="record research consent")
    c.add_argument("--verified", action="store_true", help="mark the email as verified")
    c.set_defaults(func=run_create)

    ls = cmds.add_parser("list", help="list accounts")
    ls.add_argument("--limit", type=int, default=200)
    ls.set_defaults(func=run_list)

    sr = cmds.add_parser("set-role", help="replace an account's roles")
    sr.add_argument("username")
    sr.add_argument("roles", nargs="+", choices=ROLES)
    sr.set_defaults(func=run_set_role)

    d = cmds.add_parser("deactivate", help="deactivate an account and revoke its tokens")
    d.add_argument("username")
    d.set_defaults(func=run_deactivate)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def run_create(args: argparse.Namespace) -> int:
    from ainative.auth.errors import UserError
    from ainative.auth.users import create_user
    from ainative.db.engine import session_scope

    password = args.password or getpass.getpass("password: ")
    with session_scope() as session:
        try:
            user = create_user(
                session,
                username=args.username,
                email=args.email,
                password=password,
                roles=args.role or ["student"],
                is_verified=args.verified,
                research_consent=args.consent,
            )
        except UserError as exc:
            return _fail(str(exc))
        print(f"created user {user.username} (id {user.id}, roles {','.join(user.roles)})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ainative.auth.users import list_users
    from ainative.db.engine import session_scope

    with session_scope() as session:
        users, total = list_users(session, limit=args.limit)
        print(f"{'id':>5}  {'username':<32} {'roles':<26} {'active':<6} consent  email")
        for u in users:
            print(
                f"{u.id:>5}  {u.username:<32} {','.join(u.roles):<26} "
                f"{'yes' if u.is_active else 'no':<6} {'yes' if u.research_consent else 'no':<8} "
                f"{u.email}"
            )
        print(f"{len(users)} of {total} users")
    return 0


def run_set_role(args: argparse.Namespace) -> int:
    from ainative.auth.errors import UserError

    try:
        user, note = _change(args.username, roles=args.roles)
    except UserError as exc:
        return _fail(str(exc))
    print(f"{user.username}: roles {','.join(user.roles)} ({note})")
    return 0


def run_deactivate(args: argparse.Namespace) -> int:
    from ainative.auth.errors import UserError

    try:
        _, note = _change(args.username, is_active=False)
    except UserError as exc:
        return _fail(str(exc))
    print(f"deactivated {args.username}: {note}")
    return 0


def _change(username: str, **changes: Any) -> tuple[User, str]:
    """The API's account change: saved in one transaction (session_scope), then its new
    token generation (and the disabled flag) reach Redis, so older tokens stop at once."""
    import asyncio

    from ainative.auth.errors import UserNotFoundError
    from ainative.auth.users import get_user_by_login, update_account
    from ainative.db.engine import session_scope

    with session_scope() as session:
        found = get_user_by_login(session, login=username)
        if found is None:
            raise UserNotFoundError(f"no user {username!r}")
        user = update_account(session, user_id=found.id, **changes)
    note = "refresh tokens revoked" if changes.get("is_active") is False else "saved"
    return user, asyncio.run(_publish(user, changes.get("is_active"), note))


async def _publish(user: User, is_active: bool | None, note: str) -> str:
    """Tell Redis (when REDIS_URL is set) with a client of our own; the note to print."""
    import redis.asyncio as aioredis

    from ainative.auth.errors import AccessNotUpdatedError
    from ainative.auth.revocation import disabled_flag_ttl, publish_account
    from ainative.config import get_settings

    settings = get_settings()
    if not settings.redis_url:
        return note
    redis = aioredis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
    try:
        await publish_account(
            redis,
            user_id=user.id,
            generation=user.token_generation,
            is_active=is_active,
            settings=settings,
        )
    except AccessNotUpdatedError:
        minutes = disabled_flag_ttl(settings) // 60
        return f"{note}; Redis unreachable, access tokens expire within {minutes} minutes"
    finally:
        await redis.aclose()
    return f"{note}; older access tokens cut off"
