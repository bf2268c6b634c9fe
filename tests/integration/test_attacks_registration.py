"""Findings 6 and 10: who may create an account, and course codes that collide as hub groups.

The attacks: a stranger registering on a course-code or closed platform (no code, a
guessed code, an expired or replaced code, many guesses); probing which usernames or
emails exist through the conflict message; creating "cs_101" beside "CS.101" to share
its hub group. Course-code and closed apps run in this process (their own settings)
on the shared database and Redis; the rest goes through the shared stack's API.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from ainative.cli import main as cli
from ainative.config import Settings


def app_with(**settings: object) -> TestClient:
    from api.main import create_app

    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    full = Settings(rate_limit_window_seconds=10**6, **settings)  # type: ignore[arg-type]
    return TestClient(create_app(full), client=(ip, 50000))


def identity() -> dict[str, str]:
    name = f"r{uuid.uuid4().hex[:10]}"
    return {"email": f"{name}@example.org", "username": name, "password": "Secret-pass-1"}


@pytest.fixture
def course(api, make_user):
    """A course with an instructor; returns (course id, instructor headers)."""
    admin, teacher = make_user(roles=("admin",)), make_user(roles=("instructor",))
    code = f"JC{uuid.uuid4().hex[:6]}"
    r = api.post("/api/v1/courses", json={"code": code, "title": code}, headers=admin.headers)
    assert r.status_code == 201, r.text
    course_id = r.json()["id"]
    r = api.post(
        f"/api/v1/courses/{course_id}/members",
        json={"user_id": teacher.id, "role": "instructor"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    return course_id, code, teacher.headers


def test_attack_registering_without_a_valid_code_is_refused(api, course) -> None:
    course_id, _, teacher = course
    with app_with(registration="course-code", register_rate_limit=1000) as client:
        r = client.post("/api/v1/auth/register", json=identity())
        assert r.status_code == 422 and "join code is required" in r.json()["detail"]
        guess = client.post(
            "/api/v1/auth/register", json={**identity(), "join_code": "ABCDE-FGHJK"}
        )
        assert guess.status_code == 422 and "not valid" in guess.json()["detail"]

        code = api.post(f"/api/v1/courses/{course_id}/join-code", headers=teacher).json()[
            "join_code"
        ]
        typed = code.lower().replace("-", " ")  # as a student might type it
        student = identity()
        r = client.post("/api/v1/auth/register", json={**student, "join_code": typed})
        assert r.status_code == 201, r.text
        login = api.post(
            "/api/v1/auth/login",
            json={"username": student["username"], "password": student["password"]},
        )
        mine = {"Authorization": f"Bearer {login.json()['access_token']}"}
        courses = api.get("/api/v1/courses", headers=mine).json()["data"]
        assert [(c["id"], c["role"]) for c in courses] == [(course_id, "student")]
        # The summary shows the code to staff; a student may not rotate it.
        summary = api.get(f"/api/v1/courses/{course_id}/summary", headers=teacher).json()
        assert summary["join_code"] == code
        assert api.post(f"/api/v1/courses/{course_id}/join-code", headers=mine).status_code == 403

        rotated = api.post(f"/api/v1/courses/{course_id}/join-code", headers=teacher)
        assert rotated.json()["join_code"] != code
        old = client.post("/api/v1/auth/register", json={**identity(), "join_code": code})
        assert old.status_code == 422, old.text
        assert (
            api.delete(f"/api/v1/courses/{course_id}/join-code", headers=teacher).status_code == 204
        )
        expired = client.post(
            "/api/v1/auth/register", json={**identity(), "join_code": rotated.json()["join_code"]}
        )
        assert expired.status_code == 422, expired.text


def test_attack_guessing_join_codes_is_rate_limited_per_address() -> None:
    with app_with(registration="course-code", register_rate_limit=3) as client:
        for _ in range(3):
            r = client.post(
                "/api/v1/auth/register", json={**identity(), "join_code": "AAAAA-AAAAA"}
            )
            assert r.status_code == 422, r.text
        r = client.post("/api/v1/auth/register", json={**identity(), "join_code": "AAAAA-AAAAB"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_attack_registration_when_closed_is_403_with_a_reason() -> None:
    with app_with(registration="closed") as client:
        r = client.post("/api/v1/auth/register", json=identity())
    assert r.status_code == 403
    assert "registration is closed" in r.json()["detail"]


def test_attack_conflict_message_does_not_tell_which_is_taken(api, make_user) -> None:
    taken = make_user()
    same_name = {**identity(), "username": taken.username}
    same_email = {**identity(), "email": taken.email}
    by_name = api.post("/api/v1/auth/register", json=same_name)
    by_email = api.post("/api/v1/auth/register", json=same_email)
    assert by_name.status_code == by_email.status_code == 409
    assert by_name.json() == by_email.json()
    assert "username or email" in by_name.json()["detail"]


def test_cli_rotates_and_expires_a_join_code(api, course, capsys) -> None:
    course_id, code, teacher = course
    assert cli(["courses", "code", code]) == 0
    printed = capsys.readouterr().out
    summary = api.get(f"/api/v1/courses/{course_id}/summary", headers=teacher).json()
    assert summary["join_code"] and summary["join_code"] in printed
    assert cli(["courses", "code", str(course_id), "--expire"]) == 0
    assert (
        api.get(f"/api/v1/courses/{course_id}/summary", headers=teacher).json()["join_code"] is None
    )


def test_attack_course_codes_colliding_as_hub_groups_are_refused(api, make_user) -> None:
    admin = make_user(roles=("admin",))
    stem = uuid.uuid4().hex[:6]
    first = api.post(
        "/api/v1/courses", json={"code": f"CS.{stem}", "title": "t"}, headers=admin.headers
    )
    assert first.status_code == 201, first.text
    for twin in (f"cs_{stem}", f"CS-{stem}", f"cs.{stem.upper()}"):
        r = api.post("/api/v1/courses", json={"code": twin, "title": "t"}, headers=admin.headers)
        assert r.status_code == 409, (twin, r.text)
        assert "one hub group" in r.json()["detail"]
