"""Demo accounts for a local, development-only install.

Created once by `ainative up` when the users table is empty; the passwords are
random, printed once and kept in .data/demo_accounts.txt (mode 600).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ainative.auth.passwords import hash_password
from ainative.db.models import Course, Membership, User
from ainative.tutor.modes import MODE_NAMES

DEMO_COURSE = "PY101"
DEMO_USERS = (
    ("admin", ["admin"], None),
    ("instructor", ["instructor"], "instructor"),
    ("student", ["student"], "student"),
)


def random_password() -> str:
    """A random password that satisfies the password rule, for demo accounts."""
    # Satisfies the password rule: upper, lower, digit, 8+ characters.
    return f"Demo-{secrets.token_urlsafe(9)}-7a"


def create_demo_accounts(session: Session, data_dir: Path) -> dict[str, str] | None:
    """Create demo users and a demo course if no user exists; return name -> password."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    course = Course(
        code=DEMO_COURSE,
        title="Introduction to Python (demo)",
        tutor_policy={"allowed_modes": list(MODE_NAMES)},
    )
    session.add(course)
    session.flush()
    passwords: dict[str, str] = {}
    for username, roles, course_role in DEMO_USERS:
        passwords[username] = random_password()
        user = User(
            email=f"{username}@example.org",
            username=username,
            password_hash=hash_password(passwords[username]),
            roles=roles,
            is_verified=True,
            research_consent=True,
        )
        session.add(user)
        session.flush()
        if course_role:
            session.add(Membership(course_id=course.id, user_id=user.id, role=course_role))
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "demo_accounts.txt"
    path.write_text("".join(f"{u}\t{p}\n" for u, p in passwords.items()))
    path.chmod(0o600)
    return passwords
