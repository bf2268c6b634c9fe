"""`ainative experiments`: start, list and end a course's experiments from a shell.

    ainative experiments create CS101 hints-vs-socratic \\
        --arm 'hints={"allowed_modes": ["hints"]}' --arm 'socratic={"allowed_modes": ["socratic"]}'
    ainative experiments create CS101 trial2 --arm a --arm b --hypothesis '...' \\
        --primary-outcome time_to_fix --planned-n 120 --planned-end 2027-03-01 \\
        --analysis-commit 81ca796
    ainative experiments list CS101
    ainative experiments log CS101 3        # the allocation log, auditable without keys
    ainative experiments end CS101 3
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("experiments", help="compare tutor policies within a course")
    cmds = p.add_subparsers(dest="experiments_command", required=True)

    c = cmds.add_parser("create", help="start an experiment with two or more arms")
    c.add_argument("course", help="course code")
    c.add_argument("name")
    c.add_argument(
        "--arm",
        action="append",
        required=True,
        metavar="NAME[=POLICY_JSON]",
        help="an arm and the policy keys it changes (repeat for each arm)",
    )
    c.add_argument("--description", default="")
    g = c.add_argument_group(
        "pre-registration", "the plan, frozen at the start (all of these, or none)"
    )
    g.add_argument("--hypothesis")
    g.add_argument("--primary-outcome")
    g.add_argument("--planned-n", type=int, help="students to be assigned")
    g.add_argument("--planned-end", help="YYYY-MM-DD")
    g.add_argument("--analysis-commit", help="git commit of the analysis code")
    g.add_argument("--secondary-outcome", action="append", default=[])
    c.set_defaults(func=run_create)

    lg = cmds.add_parser(
        "log", help="the allocation log: each assignment's block, arm and counts, no students"
    )
    lg.add_argument("course", help="course code")
    lg.add_argument("experiment_id", type=int)
    lg.set_defaults(func=run_log)

    ls = cmds.add_parser("list", help="a course's experiments, arms and students per arm")
    ls.add_argument("course", help="course code")
    ls.set_defaults(func=run_list)

    e = cmds.add_parser("end", help="end a running experiment")
    e.add_argument("course", help="course code")
    e.add_argument("experiment_id", type=int)
    e.set_defaults(func=run_end)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _arm(spec: str) -> tuple[str, dict[str, Any]]:
    name, _, policy = spec.partition("=")
    try:
        parsed = json.loads(policy) if policy else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"arm {name!r}: the policy is not JSON ({exc.msg})") from exc
    if not isinstance(parsed, dict):
        raise ValueError(f"arm {name!r}: the policy must be a JSON object")
    return name.strip(), parsed


def _course_id(conn: Any, code: str) -> int | None:
    from sqlalchemy import text

    found = conn.execute(text("SELECT id FROM courses WHERE code = :c"), {"c": code}).scalar()
    return None if found is None else int(found)


def _plan(args: argparse.Namespace) -> dict[str, Any] | None:
    """The pre-registration options as a plan; None when none was given."""
    plan = {
        "hypothesis": args.hypothesis,
        "primary_outcome": args.primary_outcome,
        "planned_n": args.planned_n,
        "planned_end": args.planned_end,
        "analysis_commit": args.analysis_commit,
    }
    if all(v is None for v in plan.values()) and not args.secondary_outcome:
        return None
    return {**plan, "secondary_outcomes": args.secondary_outcome}


def run_create(args: argparse.Namespace) -> int:
    from ainative.course.errors import ExperimentError
    from ainative.course.experiments import create_experiment
    from ainative.db.engine import get_engine

    try:
        arms = [_arm(spec) for spec in args.arm]
    except ValueError as exc:
        return _fail(str(exc))
    with get_engine().begin() as conn:
        course_id = _course_id(conn, args.course)
        if course_id is None:
            return _fail(f"no course with code {args.course!r}")
        try:
            experiment_id = create_experiment(
                conn,
                course_id=course_id,
                name=args.name,
                arms=arms,
                description=args.description,
                preregistration=_plan(args),
            )
        except ExperimentError as exc:
            return _fail(str(exc))
    print(
        f"experiment {experiment_id} '{args.name}' started in {args.course}: "
        f"{', '.join(name for name, _ in arms)}"
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ainative.course.experiments import list_experiments
    from ainative.db.engine import get_engine

    with get_engine().connect() as conn:
        course_id = _course_id(conn, args.course)
        if course_id is None:
            return _fail(f"no course with code {args.course!r}")
        rows = list_experiments(conn, course_id=course_id)
    for e in rows:
        state = f"ended {e['ended_at']:%Y-%m-%d}" if e["ended_at"] else "running"
        print(f"{e['id']:>4}  {e['name']}  ({state})")
        for arm in e["arms"]:
            print(
                f"        {arm['name']:<24} {arm['students']:>5} students  "
                f"{json.dumps(arm['policy'])}"
            )
    if not rows:
        print(f"no experiments in {args.course}")
    return 0


def run_log(args: argparse.Namespace) -> int:
    from ainative.course.experiments import allocation_log, list_experiments
    from ainative.db.engine import get_engine

    with get_engine().connect() as conn:
        course_id = _course_id(conn, args.course)
        if course_id is None:
            return _fail(f"no course with code {args.course!r}")
        if args.experiment_id not in {e["id"] for e in list_experiments(conn, course_id=course_id)}:
            return _fail(f"no experiment {args.experiment_id} in {args.course}")
        rows = allocation_log(conn, experiment_id=args.experiment_id)
    out = csv.writer(sys.stdout)
    out.writerow(["seq", "block", "arm", "counts", "assigned_at"])
    for r in rows:
        counts = json.dumps(r["counts"], sort_keys=True)
        out.writerow([r["seq"], r["block"], r["arm"], counts, r["assigned_at"].isoformat()])
    return 0


def run_end(args: argparse.Namespace) -> int:
    from ainative.course.experiments import end_experiment
    from ainative.db.engine import get_engine

    with get_engine().begin() as conn:
        course_id = _course_id(conn, args.course)
        if course_id is None:
            return _fail(f"no course with code {args.course!r}")
        if not end_experiment(conn, course_id=course_id, experiment_id=args.experiment_id):
            return _fail(f"experiment {args.experiment_id} is not running in {args.course}")
    print(f"experiment {args.experiment_id} ended")
    return 0
