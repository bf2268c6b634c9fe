"""`ainative export progsnap2`: the research trace in ProgSnap2 form, pseudonymised.

Also registers `ainative export coding-sample` and `ainative research`
(analytics.commands.research) from this one entry point.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="export research data (consenting students only)")
    formats = p.add_subparsers(dest="format", required=True)
    ps = formats.add_parser("progsnap2", help="ProgSnap2 dataset (MainTable, CodeStates)")
    ps.add_argument("--out", required=True, type=Path, help="output directory")
    ps.add_argument("--course", action="append", help="course code or id (repeatable)")
    ps.add_argument("--since", help="only events at or after this date/time (UTC if naive)")
    ps.add_argument("--until", help="only events before this date/time (UTC if naive)")
    ps.add_argument(
        "--text",
        choices=("keep", "scrub", "drop"),
        default="scrub",
        help="prompts, answers and code: keep them, scrub e-mails, course members' names and "
        "home paths (default), or drop them (empty)",
    )
    ps.add_argument("--no-progress", action="store_true", help="no progress bar")
    ps.set_defaults(func=run_progsnap2)
    from analytics.commands import research  # `export coding-sample` and `research`

    research.register_sample(formats)
    research.register(sub)


def _course(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def run_progsnap2(args: argparse.Namespace) -> int:
    import pandas as pd

    from analytics.progsnap2 import export_progsnap2
    from analytics.trace_filter import TraceFilter

    if _no_database():
        return 2
    for name in ("since", "until"):
        value = getattr(args, name)
        if value is not None:
            try:
                pd.Timestamp(value)
            except ValueError:
                print(f"export: --{name} {value!r} is not a date or date-time")
                return 2
    courses = [_course(c) for c in args.course] if args.course else None
    summary = export_progsnap2(
        args.out,
        where=TraceFilter(courses=courses, since=args.since, until=args.until),
        text=args.text,
        progress=not args.no_progress,
    )
    print(
        f"wrote {summary['events']} events of {summary['subjects']} subjects and "
        f"{summary['code_states']} code states to {args.out}"
    )
    return 0


def _no_database() -> bool:
    """True (after saying what to do) when DATABASE_URL is not set."""
    from ainative.config import get_settings

    if get_settings().database_url:
        return False
    print(
        "export: DATABASE_URL is not set; export the Database URL that `make run` prints "
        "(or point it at your PostgreSQL) and try again"
    )
    return True
