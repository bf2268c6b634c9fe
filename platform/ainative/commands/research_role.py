"""`ainative research-role`: a read-only database login for researchers' notebooks.

Analysis should not run with the platform's own DATABASE_URL: that role can change every
table. This creates (or refreshes, after a migration) a login that reads the trace and
nothing secret (ainative.db.research_role), and prints the URL to give the researcher.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "research-role", help="create or refresh the read-only database role for researchers"
    )
    p.add_argument("--name", default="ainative_research", help="role name (ainative_research)")
    p.add_argument(
        "--password-file",
        type=Path,
        help="file holding the role's password (a new one is generated and printed when omitted)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from ainative.db.engine import get_engine
    from ainative.db.research_role import RoleNameError, ensure_research_role

    if args.password_file is not None:
        try:
            password = args.password_file.read_text().strip()
        except OSError as exc:
            print(f"error: cannot read {args.password_file}: {exc.strerror}", file=sys.stderr)
            return 2
        if not password:
            print(f"error: {args.password_file} is empty", file=sys.stderr)
            return 2
    else:
        password = secrets.token_urlsafe(24)
    engine = get_engine()
    try:
        with engine.begin() as conn:
            tables = ensure_research_role(conn, args.name, password)
    except RoleNameError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    url = make_url(str(engine.url)).set(username=args.name, password=password)
    print(f"role {args.name}: read-only, may read {', '.join(tables)}")
    print(url.render_as_string(hide_password=args.password_file is not None))
    return 0
