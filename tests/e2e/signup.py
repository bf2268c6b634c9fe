"""Helpers for the hub's "Join a course" tests: a course with a join code, the form as a
browser submits it, and reads of what the sign-up stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tests.e2e.conftest import Hub

GOOD_PASSWORD = "Join-course-42"


@dataclass
class JoinCourse:
    id: int
    code: str
    join_code: str
    staff: dict[str, str]  # the instructor's API headers
    staff_id: int


def make_course(api: httpx.Client, make_user: Any) -> JoinCourse:
    """A course taught by a fresh instructor, with a fresh join code."""
    admin, teacher = make_user(roles=("admin",)), make_user(roles=("instructor",))
    code = f"JN{uuid.uuid4().hex[:6]}"
    r = api.post("/api/v1/courses", json={"code": code, "title": code}, headers=admin.headers)
    assert r.status_code == 201, r.text
    course_id = r.json()["id"]
    r = api.post(
        f"/api/v1/courses/{course_id}/members",
        json={"user_id": teacher.id, "role": "instructor"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    return JoinCourse(
        course_id, code, rotate(api, course_id, teacher.headers), teacher.headers, teacher.id
    )


def rotate(api: httpx.Client, course_id: int, staff: dict[str, str]) -> str:
    r = api.post(f"/api/v1/courses/{course_id}/join-code", headers=staff)
    assert r.status_code == 200, r.text
    return str(r.json()["join_code"])


def identity() -> dict[str, str]:
    name = f"s{uuid.uuid4().hex[:10]}"
    return {"username": name, "email": f"{name}@example.org", "password": GOOD_PASSWORD}


def join_client(hub: Hub) -> httpx.Client:
    """A browser-like client that has loaded the sign-up page (XSRF cookie set)."""
    client = httpx.Client(base_url=hub.url, timeout=30, follow_redirects=False)
    r = client.get("/hub/join")
    assert r.status_code == 200, r.text[:300]
    return client


def submit(client: httpx.Client, **fields: str) -> httpx.Response:
    xsrf = client.cookies.get("_xsrf", path="/hub/")
    return client.post("/hub/join", data={**fields, "_xsrf": xsrf or ""})


def stored(database_url: str, username: str) -> dict[str, Any]:
    """The new account's memberships and consent records, read straight from the DB."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            user_id = conn.execute(
                text("SELECT id FROM users WHERE username = :u"), {"u": username}
            ).scalar_one()
            members = conn.execute(
                text("SELECT course_id, role FROM memberships WHERE user_id = :i"), {"i": user_id}
            ).all()
            consents = conn.execute(
                text(
                    "SELECT given, text_version, recorded_at, source FROM consent_records "
                    "WHERE user_id = :i ORDER BY id"
                ),
                {"i": user_id},
            ).all()
    finally:
        engine.dispose()
    return {"id": user_id, "memberships": [tuple(m) for m in members], "consents": consents}
