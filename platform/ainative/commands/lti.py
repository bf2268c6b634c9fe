"""`ainative lti`: register LMS platforms (LTI 1.3) and sync rosters (NRPS).

    ainative lti add-platform --issuer URL --client-id ID --deployment-id ID [--deployment-id ID]
        --auth-login-url URL --jwks-url URL --token-url URL
    ainative lti platforms
    ainative lti remove-platform --issuer URL [--client-id ID]
    ainative lti sync COURSE          # NRPS roster sync now (COURSE: code or id)

Registrations live in the platform DB; the hub reads them at every launch (no restart).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("lti", help="LMS platforms (LTI 1.3) and roster syncs")
    cmds = p.add_subparsers(dest="lti_command", required=True)
    add = cmds.add_parser("add-platform", help="register an LMS (or add deployments to it)")
    add.add_argument(
        "--issuer", required=True, help="the LMS's iss (https://canvas.instructure.com)"
    )
    add.add_argument("--client-id", required=True, help="the client id the LMS gave this tool")
    add.add_argument(
        "--deployment-id", action="append", required=True, help="a deployment id (repeatable)"
    )
    add.add_argument("--auth-login-url", required=True, help="the LMS's OIDC auth endpoint")
    add.add_argument("--jwks-url", required=True, help="the LMS's public keyset URL")
    add.add_argument("--token-url", required=True, help="the LMS's OAuth 2 token endpoint")
    add.set_defaults(func=run_add)
    ls = cmds.add_parser("platforms", help="list registered LMS platforms")
    ls.add_argument("--json", action="store_true", help="one JSON list instead of lines")
    ls.set_defaults(func=run_list)
    rm = cmds.add_parser("remove-platform", help="remove a registration (courses stay)")
    rm.add_argument("--issuer", required=True)
    rm.add_argument("--client-id", help="only this client id (default: all of the issuer's)")
    rm.set_defaults(func=run_remove)
    sync = cmds.add_parser("sync", help="sync a course's roster from the LMS now (NRPS)")
    sync.add_argument("course", help="the course's code or id")
    sync.set_defaults(func=run_sync)


def run_add(args: argparse.Namespace) -> int:
    from ainative.db.engine import session_scope
    from ainative.lti import platforms
    from ainative.lti.errors import PlatformError

    try:
        with session_scope() as session:
            row = platforms.add_platform(
                session,
                issuer=args.issuer,
                client_id=args.client_id,
                deployment_ids=args.deployment_id,
                auth_login_url=args.auth_login_url,
                jwks_url=args.jwks_url,
                token_url=args.token_url,
            )
            print(
                f"platform {row.id}: {row.issuer} client {row.client_id}, "
                f"deployments {', '.join(row.deployment_ids)}"
            )
    except PlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ainative.db.engine import session_scope
    from ainative.lti import platforms

    with session_scope() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": r.id,
                "issuer": r.issuer,
                "client_id": r.client_id,
                "deployment_ids": list(r.deployment_ids),
                "auth_login_url": r.auth_login_url,
                "jwks_url": r.jwks_url,
                "token_url": r.token_url,
            }
            for r in platforms.list_platforms(session)
        ]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("no LMS platforms registered (ainative lti add-platform)")
    for r in [] if args.json else rows:
        print(f"{r['id']}\t{r['issuer']}\t{r['client_id']}\t{','.join(r['deployment_ids'])}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from ainative.db.engine import session_scope
    from ainative.lti import platforms

    with session_scope() as session:
        n = platforms.remove_platform(session, issuer=args.issuer, client_id=args.client_id)
    if not n:
        print(f"error: no registration of {args.issuer!r}", file=sys.stderr)
        return 1
    print(f"removed {n} registration(s) of {args.issuer} (courses and accounts stay)")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from ainative.db.engine import session_scope
    from ainative.db.models import Course
    from ainative.lti import roster
    from ainative.lti.errors import RosterError

    with session_scope() as session:
        clause = (
            Course.id == int(args.course) if args.course.isdigit() else Course.code == args.course
        )
        course_id = session.execute(select(Course.id).where(clause)).scalar_one_or_none()
    if course_id is None:
        print(f"error: no course {args.course!r}", file=sys.stderr)
        return 1
    try:
        result = roster.sync_course(course_id, requested_by=None)
    except RosterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0
