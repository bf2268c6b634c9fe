"""`ainative migrate`: apply Alembic migrations to DATABASE_URL."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("migrate", help="apply database migrations (alembic upgrade)")
    p.add_argument("--revision", default="head")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ainative.db.migrate import upgrade

    upgrade(revision=args.revision)
    print(f"database migrated to {args.revision}")
    return 0
