"""`ainative assignments`: a course's assignments and AI windows from a shell (issue 22).

    ainative assignments list --course CS101
    ainative assignments create --course CS101 --actor alice --title "Sum of evens" \\
        --notebook week3/sum_even.ipynb --reference ref.py [--tests tests.py] [--notes TEXT]
    ainative assignments show --course CS101 3 [--with-reference]
    ainative assignments update --course CS101 3 --actor alice [--title T] [--notebook P] \\
        [--reference FILE] [--tests FILE | --no-tests] [--notes TEXT | --no-notes]
    ainative assignments delete --course CS101 3 --actor alice
    ainative assignments windows list --course CS101 [--assignment 3]
    ainative assignments windows add --course CS101 --actor alice --mode off \\
        [--assignment 3] [--start 2026-12-08T10:00Z] [--end 2026-12-08T12:00Z]
    ainative assignments windows delete --course CS101 7 --actor alice

The same functions as the API (ainative.course.assignments), in one transaction each;
every change is audited with `--actor`, an admin or an instructor of the course (the
API's rule). Bad input exits 2 with a message on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

BAD_INPUT = 2
INT32_MAX = 2**31 - 1
MODES = ("normal", "hints-only", "off")


def _id(value: str) -> int:
    """An id the database can hold (a PostgreSQL integer), for argparse."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 1 <= number <= INT32_MAX:
        raise argparse.ArgumentTypeError(f"{value} is not an id (1 to {INT32_MAX})")
    return number


class InputError(Exception):
    """Bad input from the command line: its message is printed, the exit code is 2."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("assignments", help="a course's assignments and AI windows")
    cmds = p.add_subparsers(dest="assignments_command", required=True)

    def command(
        parent: Any, name: str, helptext: str, func: Any, change: bool
    ) -> argparse.ArgumentParser:
        c: argparse.ArgumentParser = parent.add_parser(name, help=helptext)
        c.add_argument("--course", required=True, help="the course's code or id")
        if change:
            c.add_argument("--actor", required=True, help="who does it (audited): a username")
        c.set_defaults(func=lambda args: _run(func, args))
        return c

    command(cmds, "list", "the course's assignments with their leak counts", run_list, False)
    c = command(cmds, "create", "add an assignment", run_create, True)
    c.add_argument("--title", required=True)
    c.add_argument("--notebook", required=True, help="the notebook's path, as the server names it")
    c.add_argument("--reference", required=True, type=Path, help="a file: the reference solution")
    c.add_argument("--tests", type=Path, help="a file: hidden tests (asserts or test_*)")
    c.add_argument("--notes", help="notes for the tutor")
    c.add_argument("--cell", action="append", default=[], help="a cell id it covers (repeat)")
    s = command(cmds, "show", "one assignment as JSON, with its leak numbers", run_show, False)
    s.add_argument("assignment_id", type=_id)
    s.add_argument("--with-reference", action="store_true", help="include the reference")
    u = command(cmds, "update", "change an assignment's fields", run_update, True)
    u.add_argument("assignment_id", type=_id)
    u.add_argument("--title")
    u.add_argument("--notebook")
    u.add_argument("--reference", type=Path, help="a file: the new reference solution")
    tests = u.add_mutually_exclusive_group()
    tests.add_argument("--tests", type=Path, help="a file: the new hidden tests")
    tests.add_argument("--no-tests", action="store_true", help="remove the hidden tests")
    notes = u.add_mutually_exclusive_group()
    notes.add_argument("--notes")
    notes.add_argument("--no-notes", action="store_true", help="remove the tutor notes")
    d = command(cmds, "delete", "delete an assignment and its AI windows", run_delete, True)
    d.add_argument("assignment_id", type=_id)

    w = cmds.add_parser("windows", help="AI windows: when the tutor is normal, hints-only or off")
    wcmds = w.add_subparsers(dest="windows_command", required=True)
    wl = command(wcmds, "list", "the course's AI windows", run_windows_list, False)
    wl.add_argument("--assignment", type=_id, help="only this assignment's")
    wa = command(wcmds, "add", "add an AI window", run_windows_add, True)
    wa.add_argument("--mode", required=True, choices=MODES)
    wa.add_argument("--assignment", type=_id, help="one assignment's (default: the course's)")
    wa.add_argument("--start", help="ISO 8601 with a zone, e.g. 2026-12-08T10:00Z (default: now)")
    wa.add_argument("--end", help="ISO 8601 with a zone (default: until deleted)")
    wd = command(wcmds, "delete", "delete an AI window", run_windows_delete, True)
    wd.add_argument("window_id", type=_id)


def _run(func: Any, args: argparse.Namespace) -> int:
    """One transaction; a refusal of the service or of the input is exit 2 with its words."""
    from ainative.course.errors import CourseError
    from ainative.db.engine import session_scope

    try:
        with session_scope() as session:
            course_id = _course(session, args.course)
            actor_id = _actor(session, args.actor, course_id) if hasattr(args, "actor") else None
            return int(func(session, args, course_id, actor_id) or 0)
    except (InputError, CourseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT


def _course(session: Session, course: str) -> int:
    from sqlalchemy import select

    from ainative.db.models import Course

    by_id = course.isdigit() and int(course) <= INT32_MAX
    clause = Course.id == int(course) if by_id else Course.code == course
    found = session.execute(select(Course.id).where(clause)).scalar_one_or_none()
    if found is None:
        raise InputError(f"no course {course!r}")
    return int(found)


def _actor(session: Session, username: str, course_id: int) -> int:
    """The actor's id: an admin, or an instructor of this course (as the API requires)."""
    from ainative.auth.users import get_user_by_login
    from ainative.course.courses import member_role

    user = get_user_by_login(session, login=username)
    if user is None or not user.is_active:
        raise InputError(f"no active account {username!r}")
    role = member_role(session, course_id=course_id, user_id=user.id)
    if "admin" not in (user.roles or []) and role != "instructor":
        raise InputError(f"{username} is neither an admin nor an instructor of this course")
    return int(user.id)


def _read(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what}: no file {str(path)!r}") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InputError(f"{what}: cannot read {str(path)!r} as UTF-8 text ({exc})") from None
    if not content.strip():
        raise InputError(f"{what}: {str(path)!r} is empty")
    if "\x00" in content:
        raise InputError(f"{what}: {str(path)!r} holds a NUL character; is it a text file?")
    return content


def _moment(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{what}: {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise InputError(f"{what}: {value!r} needs a time zone (e.g. 2026-12-08T10:00Z)")
    return moment


def _json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def run_list(session: Session, args: argparse.Namespace, course_id: int, _: None) -> int:
    from ainative.course import assignments

    items = assignments.list_assignments(session, course_id=course_id, with_reference=False)
    print(f"{'id':>5}  {'title':<32} {'notebook':<40} {'scored':>6} {'leaked':>6}")
    for a in items:
        print(
            f"{a['id']:>5}  {a['title'][:32]:<32} {a['notebook_path'][:40]:<40} "
            f"{a['answers_scored']:>6} {a['leaked']:>6}"
        )
    print(f"{len(items)} assignments")
    return 0


def run_create(session: Session, args: argparse.Namespace, course_id: int, actor: int) -> int:
    from ainative.course import assignments

    fields = {
        "title": args.title,
        "notebook_path": args.notebook,
        "reference_solution": _read(args.reference, "--reference"),
        "hidden_tests": _read(args.tests, "--tests"),
        "tutor_notes": args.notes,
        "cell_ids": args.cell or None,
    }
    a = assignments.create(session, course_id=course_id, actor_id=actor, fields=fields)
    print(f"assignment {a.id} '{a.title}' for {a.notebook_path}")
    return 0


def run_show(session: Session, args: argparse.Namespace, course_id: int, _: None) -> int:
    from ainative.course import assignment_stats, assignments

    a = assignments.get(session, course_id=course_id, assignment_id=args.assignment_id)
    counts = assignments.leak_counts(session, course_id=course_id).get(a.id)
    out = assignments.public(a, with_reference=args.with_reference, leak=counts)
    stats = assignment_stats.assignment_stats(session, course_id=course_id, assignment_id=a.id)
    out["stats"] = {k: v for k, v in stats["data"][0].items() if k in ("window", "totals")}
    out["stats"]["by_arm"] = stats["data"][0]["by_arm"]
    out["stats"]["by_week"] = stats["data"][0]["by_week"]
    _json(out)
    return 0


def run_update(session: Session, args: argparse.Namespace, course_id: int, actor: int) -> int:
    from ainative.course import assignments

    changes: dict[str, Any] = {}
    for name, value in (("title", args.title), ("notebook_path", args.notebook)):
        if value is not None:
            changes[name] = value
    if args.reference is not None:
        changes["reference_solution"] = _read(args.reference, "--reference")
    if args.tests is not None or args.no_tests:
        changes["hidden_tests"] = _read(args.tests, "--tests")
    if args.notes is not None or args.no_notes:
        changes["tutor_notes"] = args.notes
    if not changes:
        raise InputError("nothing to change: give --title, --notebook, --reference, --tests…")
    a = assignments.update(
        session,
        course_id=course_id,
        assignment_id=args.assignment_id,
        actor_id=actor,
        changes=changes,
    )
    print(f"assignment {a.id} '{a.title}' saved ({', '.join(sorted(changes))})")
    return 0


def run_delete(session: Session, args: argparse.Namespace, course_id: int, actor: int) -> int:
    from ainative.course import assignments

    assignments.remove(
        session, course_id=course_id, assignment_id=args.assignment_id, actor_id=actor
    )
    print(f"assignment {args.assignment_id} deleted, with its AI windows")
    return 0


def run_windows_list(session: Session, args: argparse.Namespace, course_id: int, _: None) -> int:
    from ainative.course import assignments

    if args.assignment is not None:
        assignments.get(session, course_id=course_id, assignment_id=args.assignment)
    found = assignments.list_windows(session, course_id=course_id, assignment_id=args.assignment)
    print(f"{'id':>5}  {'for':<14} {'mode':<10} {'from':<26} until")
    for w in found:
        target = f"assignment {w.assignment_id}" if w.assignment_id else "the course"
        start = w.starts_at.isoformat() if w.starts_at else "open start"
        end = w.ends_at.isoformat() if w.ends_at else "until deleted"
        print(f"{w.id:>5}  {target:<14} {w.mode:<10} {start:<26} {end}")
    print(f"{len(found)} AI windows")
    return 0


def run_windows_add(session: Session, args: argparse.Namespace, course_id: int, actor: int) -> int:
    from ainative.course import assignments

    w = assignments.create_window(
        session,
        course_id=course_id,
        actor_id=actor,
        mode=args.mode,
        starts_at=_moment(args.start, "--start"),
        ends_at=_moment(args.end, "--end"),
        assignment_id=args.assignment,
    )
    target = f"assignment {w.assignment_id}" if w.assignment_id else "the whole course"
    print(f"AI window {w.id}: {w.mode} for {target}")
    return 0


def run_windows_delete(
    session: Session, args: argparse.Namespace, course_id: int, actor: int
) -> int:
    from ainative.course import assignments

    assignments.remove_window(
        session, course_id=course_id, window_id=args.window_id, actor_id=actor
    )
    print(f"AI window {args.window_id} deleted")
    return 0
