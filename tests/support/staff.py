"""A course with its staff, built through the API as the console's users build it.

An admin creates the course and names the instructor; the instructor invites a teaching
assistant and a student, who accept. `console_headers` issues the staff console's token
(scope "console") for an account, as the hub's console endpoint does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, text

from ainative.auth.tokens import CONSOLE_SCOPE, issue_access_token
from ainative.config import Settings
from tests.support.api import TestUser, ask, wait_answer


@dataclass
class StaffedCourse:
    id: int
    admin: TestUser
    instructor: TestUser
    assistant: TestUser
    student: TestUser

    def url(self, path: str = "") -> str:
        return f"/api/v1/courses/{self.id}{path}"


def invite_and_accept_as(
    api: httpx.Client, course_id: int, account: TestUser, staff: dict[str, str], role: str
) -> None:
    """The instructor invites `account` as `role`; the account accepts."""
    r = api.post(
        f"/api/v1/courses/{course_id}/members",
        json={"username": account.username, "role": role},
        headers=staff,
    )
    assert r.status_code == 202, r.text
    mine = api.get("/api/v1/me/invitations", headers=account.headers).json()["data"]
    wanted = [i for i in mine if i["course_id"] == course_id]
    assert len(wanted) == 1 and wanted[0]["role"] == role, mine
    r = api.post(f"/api/v1/me/invitations/{wanted[0]['id']}/accept", headers=account.headers)
    assert r.status_code == 204, r.text


def staffed_course(
    api: httpx.Client, make_user: Any, policy: dict[str, Any] | None = None
) -> StaffedCourse:
    """A new course with an admin, an instructor, an assistant and one student."""
    admin, instructor = make_user(roles=("admin",)), make_user(roles=("instructor",))
    assistant, student = make_user(), make_user()
    code = f"SC{uuid.uuid4().hex[:6]}"
    body: dict[str, Any] = {"code": code, "title": code}
    if policy is not None:
        body["tutor_policy"] = policy
    r = api.post("/api/v1/courses", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    course_id = r.json()["id"]
    r = api.post(
        f"/api/v1/courses/{course_id}/members",
        json={"user_id": instructor.id, "role": "instructor"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    invite_and_accept_as(api, course_id, assistant, instructor.headers, "assistant")
    invite_and_accept_as(api, course_id, student, instructor.headers, "student")
    return StaffedCourse(course_id, admin, instructor, assistant, student)


def console_headers(db: Engine, settings: Settings, user: TestUser) -> dict[str, str]:
    """The staff console's token for `user` (scope "console"), at their token generation."""
    with db.connect() as conn:
        gen, roles = conn.execute(
            text("SELECT token_generation, roles FROM users WHERE id = :u"), {"u": user.id}
        ).one()
    issued = issue_access_token(
        user.id, user.username, list(roles), settings, int(gen), scope=CONSOLE_SCOPE
    )
    return {"Authorization": f"Bearer {issued.token}"}


def asked(api: httpx.Client, course_id: int, student: TestUser, prompt: str) -> dict[str, Any]:
    r = ask(api, student.headers, prompt, course_id=course_id, notebook_path="lab1.ipynb")
    assert r.status_code in (200, 202), r.text
    return wait_answer(api, student.headers, r.json()["id"])


def runs(api: httpx.Client, course_id: int, student: TestUser, errors: list[str | None]) -> None:
    """Cell runs in the course, a second apart, ending now: None is a success."""
    start = datetime.now(UTC) - timedelta(seconds=len(errors) + 1)
    events = [
        {
            "type": "cell.executed",
            "occurred_at": (start + timedelta(seconds=n)).isoformat(),
            "course_id": course_id,
            "payload": {"code": "x", "success": e is None, "error_type": e},
        }
        for n, e in enumerate(errors)
    ]
    r = api.post("/api/v1/events/batch", json={"events": events}, headers=student.headers)
    assert r.status_code == 200 and r.json()["stored"] == len(errors), r.text
