"""Course join codes: how a student registers into a course when REGISTRATION=course-code.

A code is 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as
XXXXX-XXXXX; 31^10 codes make guessing hopeless behind the registration rate limit.
Instructors create or rotate a course's code (the old one stops at once) and expire it;
a student types it with or without the dash, in any case.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ainative.db.models import Course, RetiredJoinCode

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(code: str) -> str:
    """What a person typed, as stored: upper case, no dashes or spaces."""
    return "".join(ch for ch in code.upper() if ch not in "- \t")


def display(code: str | None) -> str | None:
    """XXXXX-XXXXX, easier to read out to a class."""
    return f"{code[:5]}-{code[5:]}" if code else None


def rotate_join_code(session: Session, *, course: Course) -> str:
    """Give the course a fresh code (the previous one stops working); returns it for display."""
    for _ in range(5):
        try:
            with session.begin_nested():  # another course may draw the same code: draw again
                retire(session, course, "replaced")  # again after a rollback: it undid it
                course.join_code = new_code()
                session.execute(
                    delete(RetiredJoinCode).where(RetiredJoinCode.code == course.join_code)
                )
        except IntegrityError:
            continue
        return str(display(course.join_code))
    raise RuntimeError("could not draw a unique join code")


def expire_join_code(session: Session, *, course: Course) -> None:
    """The course takes no more registrations by code until a new one is created."""
    retire(session, course, "expired")
    course.join_code = None


def course_for_code(session: Session, code: str) -> Course | None:
    """The course whose current code this is, or None."""
    wanted = normalise(code)
    if len(wanted) != LENGTH:
        return None
    return session.execute(select(Course).where(Course.join_code == wanted)).scalar_one_or_none()


def retire(session: Session, course: Course, reason: str) -> None:
    """Remember the course's current code and why it stops, so a student hears which."""
    if course.join_code:
        session.merge(RetiredJoinCode(code=course.join_code, course_id=course.id, reason=reason))


def retired_reason(session: Session, code: str) -> str | None:
    """'replaced' or 'expired' for a former code, None for one never issued."""
    found = session.get(RetiredJoinCode, normalise(code))
    return found.reason if found is not None else None
