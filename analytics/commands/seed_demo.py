"""`ainative seed-demo`: a synthetic, seeded cohort so a fresh install has data to analyse.

The accounts are real, active logins (students and an instructor), so the command refuses
a production install and gives them random passwords, printed once and never stored.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from datetime import time as day_time


def _end_date(value: str) -> datetime:
    """`--end 2026-06-30`: the cohort's last day, through 23:59:59 UTC."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-06-30") from exc
    return datetime.combine(day, day_time(23, 59, 59), tzinfo=UTC)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "seed-demo",
        help="insert a synthetic cohort (users, course, sessions, interactions, events)",
    )
    p.add_argument("--students", type=int, default=60, help="number of students (default 60)")
    p.add_argument("--days", type=int, default=28, help="days of activity up to now (default 28)")
    p.add_argument("--seed", type=int, default=0, help="random seed: same seed, same cohort")
    p.add_argument(
        "--end",
        type=_end_date,
        default=None,
        help="last day of the cohort (YYYY-MM-DD, UTC); with --seed, the same data on any day "
        "(default: today)",
    )
    p.add_argument("--course", default="DEMO101", help="course code to create (must be new)")
    p.add_argument("--consent-rate", type=float, default=0.85, help="share consenting (0..1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analytics.synth import CohortSpec, Logins, generate
    from analytics.synth_write import write

    if _production() or _no_database():
        return 2
    if args.students < 1 or args.days < 1:
        print("seed-demo: --students and --days must be at least 1")
        return 2
    if not 0 <= args.consent_rate <= 1:
        print("seed-demo: --consent-rate must be between 0 and 1")
        return 2
    started = time.perf_counter()
    spec = CohortSpec(
        students=args.students,
        days=args.days,
        seed=args.seed,
        course_code=args.course,
        consent_rate=args.consent_rate,
        end=args.end,
    )
    cohort = generate(spec)
    logins = Logins.random()
    try:
        counts = write(cohort, logins=logins)
    except ValueError as exc:
        print(f"seed-demo: {exc}")
        return 1
    took = time.perf_counter() - started
    rows = ", ".join(f"{k}={v}" for k, v in counts.items())
    print(f"seeded course {args.course} in {took:.1f} s: {rows}")
    print("passwords (shown once, stored only as hashes):")
    print(f"  students, e.g. {cohort.users.username.iloc[0]}: {logins.students}")
    print(f"  instructor {cohort.instructor}: {logins.instructor}")
    return 0


def _production() -> bool:
    """True (after saying why) with ENVIRONMENT=production: demo logins never go there."""
    from ainative.config import get_settings

    environment = get_settings().environment
    if environment != "production":
        return False
    print(
        f"seed-demo: refusing to run with ENVIRONMENT={environment}: it creates active "
        "student and instructor accounts for synthetic people; seed a development or "
        "staging database instead"
    )
    return True


def _no_database() -> bool:
    """True (after saying what to do) when DATABASE_URL is not set."""
    from ainative.config import get_settings

    if get_settings().database_url:
        return False
    print(
        "seed-demo: DATABASE_URL is not set; export the Database URL that `make run` prints "
        "(or point it at your PostgreSQL) and try again"
    )
    return True
