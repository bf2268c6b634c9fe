"""`ainative courses code COURSE`: create or rotate a course's join code (or `--expire` it).

Students register with the code when REGISTRATION=course-code; rotating stops the old
code at once. COURSE is the course's code (CS101) or its id.
"""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("courses", help="manage courses")
    cmds = p.add_subparsers(dest="courses_command", required=True)
    c = cmds.add_parser("code", help="create or rotate a course's join code")
    c.add_argument("course", help="the course's code or id")
    c.add_argument("--expire", action="store_true", help="remove the code instead")
    c.set_defaults(func=run_code)


def run_code(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from ainative.course import joincodes
    from ainative.db.engine import session_scope
    from ainative.db.models import Course

    with session_scope() as session:
        wanted = Course.id == int(args.course) if args.course.isdigit() else None
        clause = wanted if wanted is not None else Course.code == args.course
        course = session.execute(select(Course).where(clause)).scalar_one_or_none()
        if course is None:
            print(f"error: no course {args.course!r}", file=sys.stderr)
            return 1
        if args.expire:
            joincodes.expire_join_code(session, course=course)
            print(f"{course.code}: join code expired (no registrations by code)")
            return 0
        code = joincodes.rotate_join_code(session, course=course)
        print(f"{course.code}: join code {code} (any previous code no longer works)")
    return 0
