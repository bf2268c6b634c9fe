"""The platform's API as a test uses it: accounts, questions and their answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import create_engine

from tests.support.eventually import eventually
from tests.support.factories import grant_roles

REQUESTS = "/api/v1/tutor/requests"
PASSWORD = "Secret-pass-1"


@dataclass
class TestUser:
    id: int
    username: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def login(api: httpx.Client, username: str, password: str) -> dict[str, Any]:
    """Log in; the token reply."""
    r = api.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return dict(r.json())


def register_user(
    api: httpx.Client,
    database_url: str,
    roles: tuple[str, ...] = ("student",),
    consent: bool = True,
) -> TestUser:
    """Register and log in a fresh user; roles beyond student are granted as an admin would."""
    name = f"u{uuid.uuid4().hex[:10]}"
    email = f"{name}@example.org"
    r = api.post(
        "/api/v1/auth/register", json={"email": email, "username": name, "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    if set(roles) != {"student"}:
        engine = create_engine(database_url)
        try:
            grant_roles(engine, user_id, roles)
        finally:
            engine.dispose()
    body = login(api, name, PASSWORD)
    if consent:  # through the API, so the consent is dated like a student's own
        r = api.patch(
            "/api/v1/auth/me",
            headers={"Authorization": f"Bearer {body['access_token']}"},
            json={"research_consent": True},
        )
        assert r.status_code == 200, r.text
    return TestUser(user_id, name, email, PASSWORD, body["access_token"], body["refresh_token"])


def ask(
    api: httpx.Client, headers: dict[str, str], prompt: str, mode: str = "socratic", **body: Any
) -> httpx.Response:
    """POST a tutoring request (with any further fields of its body); returns the response
    (202 queued or 200 from the cache)."""
    return api.post(REQUESTS, json={"prompt": prompt, "mode": mode, **body}, headers=headers)


def wait_answer(
    api: httpx.Client, headers: dict[str, str], interaction_id: str, timeout: float = 90.0
) -> dict[str, Any]:
    """Long-poll until the interaction is done or error; the last reply when time runs out
    (the caller's assertion on its status says what was expected)."""
    body: dict[str, Any] = {}

    def finished() -> bool:
        nonlocal body
        r = api.get(f"{REQUESTS}/{interaction_id}", params={"wait": 10}, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        return body["status"] in ("done", "error")

    eventually(finished, timeout, interval=0)
    return body


def unique_prompt(tag: str = "") -> str:
    return f"Why does my loop print the wrong index {tag}{uuid.uuid4().hex[:8]}?"


def fake_requests(fake_llm: Any) -> list[dict[str, Any]]:
    """What the fake LLM was asked, oldest first."""
    return list(httpx.get(f"{fake_llm.root_url}/_requests").json())


def invite_and_accept(
    api: httpx.Client, course_id: int, student: TestUser, staff: dict[str, str]
) -> None:
    """An instructor invites the student by username; the student accepts it."""
    r = api.post(
        f"/api/v1/courses/{course_id}/members",
        json={"username": student.username, "role": "student"},
        headers=staff,
    )
    assert r.status_code == 202, r.text
    mine = api.get("/api/v1/me/invitations", headers=student.headers)
    assert mine.status_code == 200, mine.text
    wanted = [i["id"] for i in mine.json()["data"] if i["course_id"] == course_id]
    assert len(wanted) == 1, mine.text
    r = api.post(f"/api/v1/me/invitations/{wanted[0]}/accept", headers=student.headers)
    assert r.status_code == 204, r.text
