"""What the hub stores about a platform account: name, admin flag, groups, roles, auth_state.

Pure functions, so the mapping from platform roles and course memberships to hub groups and
scopes can be read (and tested) in one place.

Instructors' scopes reach the servers of one group per course, the *student group*
(`course-<code>`). Only accounts whose sole platform role is student ever join it: a
course's instructors, and admins or staff enrolled as students, join its *staff group*
(`staff-<code>`) instead, which no role grants access to. So an instructor can never open
an admin's or a fellow instructor's server, whoever enrolled whom.
"""

from __future__ import annotations

from typing import Any

from jupyterhub.roles import get_default_roles

from ainative.course.courses import student_only
from ainative.hub.accounts import Account, course_slug

DEFAULT_STAFF_GROUP_PREFIX = "staff-"
# Every account may open the staff console (a hub service); the console itself tells a
# student "this page is for course staff" (ainative.console), and the API decides powers.
CONSOLE_ROLE = {
    "name": "console-user",
    "description": "Sign in to the staff console (it and the API decide what each may do)",
    "scopes": ["access:services!service=console"],
}
DEFAULT_INSTRUCTOR_SCOPES = [
    "access:servers!group={group}",
    "read:servers!group={group}",
    "read:users!group={group}",
]


def builtin_role(name: str) -> dict[str, Any]:
    """JupyterHub's own role with its default scopes (restated so it is never altered)."""
    spec = next(r for r in get_default_roles() if r["name"] == name)
    return {"name": name, "scopes": list(spec["scopes"])}


def group_name(prefix: str, code: str) -> str:
    """Course CS101 with prefix 'course-' -> hub group 'course-cs101'."""
    return prefix + course_slug(code)


def course_groups(account: Account, *, group_prefix: str, staff_prefix: str) -> list[str]:
    """The hub groups of `account`: the student group only as a student-only course student."""
    groups = set()
    for course in account.courses:
        reachable = course.role == "student" and student_only(account.roles)
        groups.add(group_name(group_prefix if reachable else staff_prefix, course.code))
    return sorted(groups)


def auth_model(
    account: Account,
    *,
    group_prefix: str,
    instructor_scopes: list[str],
    staff_prefix: str = DEFAULT_STAFF_GROUP_PREFIX,
    tokens: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The dict JupyterHub's authenticate/refresh_user return for `account`.

    Roles always include the default 'user' (and 'admin' for admins), because JupyterHub
    strips any role missing from this list when the authenticator manages roles.
    """
    roles: list[dict[str, Any]] = [builtin_role("user"), dict(CONSOLE_ROLE)]
    if account.is_admin:
        roles.append(builtin_role("admin"))
    for course in account.courses:
        if course.role == "instructor":
            group = group_name(group_prefix, course.code)
            roles.append(
                {
                    "name": f"instructor-{group}",
                    "description": f"Instructor access to the servers of {course.code}",
                    "scopes": [s.format(group=group) for s in instructor_scopes],
                }
            )
    model: dict[str, Any] = {
        "name": account.hub_name,
        "admin": account.is_admin,
        "groups": course_groups(account, group_prefix=group_prefix, staff_prefix=staff_prefix),
        "roles": roles,
    }
    if tokens is not None:
        model["auth_state"] = {
            "user_id": account.id,
            "username": account.username,
            "roles": list(account.roles),
            "gen": account.generation,
            **tokens,
        }
    return model
