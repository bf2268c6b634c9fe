"""A read-only PostgreSQL role for researchers, so analysis never runs with production keys.

The role may read what the analytics loaders read and nothing that would let someone act as a
user or a course: no password hashes or e-mail addresses, no tokens, reset links, invitations,
join codes, LMS keys or audit log, and no assignment's reference solution or hidden tests. Every
session of the role is read-only (`default_transaction_read_only`), and the grants are replaced
each time, so running the command again after a migration picks up new research tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import Connection, text

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# Whole tables: the trace, its courses' policy history, experiments and consent.
READABLE_TABLES: tuple[str, ...] = (
    "course_policy_versions",
    "experiments",
    "experiment_arms",
    "experiment_assignments",
    "experiment_allocations",
    "research_exports",
    "erased_subjects",
    "memberships",
    "tutor_sessions",
    "interactions",
    "events",
    "consent_records",
    "consent_periods",  # a view over consent_records and users.research_consent
    "assignment_outlines",  # a view: assignments without the solution or hidden tests
    "escalations",
    "escalation_replies",
    "ai_windows",
    "alembic_version",
)

# Tables with something secret in them: only these columns.
READABLE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "users": ("id", "username", "roles", "is_active", "research_consent", "created_at"),
    "courses": ("id", "code", "title", "tutor_policy", "policy_version", "created_at"),
    "assignments": (
        "id",
        "course_id",
        "title",
        "notebook_path",
        "cell_ids",
        "created_by",
        "created_at",
        "updated_at",
    ),
}


class RoleNameError(ValueError):
    """The role name is not a plain lower-case PostgreSQL identifier."""


def ensure_research_role(conn: Connection, name: str, password: str) -> list[str]:
    """Create (or update) `name` as a read-only login role and grant it the research view.

    Returns the tables it may read (whole or in part). `conn` must belong to a role that may
    create roles and grant on the platform's tables (the migration owner).
    """
    if not ROLE_NAME.fullmatch(name):
        raise RoleNameError(
            f"{name!r} is not a usable role name: use lower-case letters, digits and _, "
            "starting with a letter or _, at most 63 characters"
        )
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
    verb = "ALTER" if exists else "CREATE"
    # PASSWORD takes a literal, not a bind parameter: quote_literal makes it one, and its
    # colons are escaped so that text() does not read them as parameters.
    quoted = conn.execute(text("SELECT quote_literal(:p)"), {"p": password}).scalar_one()
    quoted = quoted.replace(":", "\\:")
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
    conn.execute(text(f'{verb} ROLE "{name}" {attributes} PASSWORD {quoted}'))
    conn.execute(text(f'ALTER ROLE "{name}" SET default_transaction_read_only = on'))
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO "{name}"'))
    conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{name}"'))
    conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{name}"'))
    present = set(
        conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "UNION SELECT viewname FROM pg_views WHERE schemaname = 'public'"
            )
        ).scalars()
    )
    granted: list[str] = []
    for table in READABLE_TABLES:
        if table in present:
            conn.execute(text(f'GRANT SELECT ON "{table}" TO "{name}"'))
            granted.append(table)
    for table, columns in READABLE_COLUMNS.items():
        if table in present:
            listed = ", ".join(f'"{c}"' for c in columns)
            conn.execute(text(f'GRANT SELECT ({listed}) ON "{table}" TO "{name}"'))
            granted.append(table)
    return sorted(granted)
