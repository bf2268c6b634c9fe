"""Numbers too large for the database are a readable 422, never a 500 (issue found by fuzzing:
`GET /api/v1/tutor/requests?offset=2254826883624932999168` answered 500)."""

from __future__ import annotations

import uuid

import pytest

HUGE = 2254826883624932999168
INT32_OVER = 2**31

AS_STUDENT = [
    ("GET", f"/api/v1/tutor/requests?offset={HUGE}", None),
    ("GET", f"/api/v1/tutor/quota?course_id={INT32_OVER}", None),
    ("POST", "/api/v1/tutor/requests", {"prompt": "why?", "mode": "hints", "course_id": HUGE}),
    ("POST", "/api/v1/tutor/sessions", {"course_id": INT32_OVER}),
    ("POST", "/api/v1/events/batch", {"course_id": INT32_OVER, "events": []}),
    ("POST", f"/api/v1/me/invitations/{HUGE}/accept", None),
    ("POST", f"/api/v1/me/invitations/{HUGE}/decline", None),
]
AS_ADMIN = [
    ("GET", f"/api/v1/users/{INT32_OVER}", None),
    ("PATCH", f"/api/v1/users/{HUGE}", {"is_active": False}),
    ("GET", f"/api/v1/users?offset={HUGE}", None),
    ("GET", f"/api/v1/courses/{INT32_OVER}", None),
    ("GET", f"/api/v1/courses/{HUGE}/members", None),
    ("POST", "/api/v1/courses/{course}/members", {"user_id": INT32_OVER}),
    ("DELETE", "/api/v1/courses/{course}/members/" + str(HUGE), None),
]


@pytest.mark.parametrize(("method", "path", "body"), AS_STUDENT)
def test_students_get_422_for_numbers_past_the_database(api, make_user, method, path, body):
    reply = api.request(method, path, json=body, headers=make_user().headers)
    assert reply.status_code == 422, reply.text
    assert "less than or equal" in reply.json()["detail"], reply.text


@pytest.mark.parametrize(("method", "path", "body"), AS_ADMIN)
def test_admins_get_422_for_numbers_past_the_database(api, make_user, method, path, body):
    headers = make_user(roles=("admin",)).headers
    if "{course}" in path:  # the course must exist: its check runs before the body's
        code = f"N{uuid.uuid4().hex[:8]}"
        course = api.post("/api/v1/courses", json={"code": code, "title": "n"}, headers=headers)
        assert course.status_code == 201, course.text
        path = path.replace("{course}", str(course.json()["id"]))
    reply = api.request(method, path, json=body, headers=headers)
    assert reply.status_code == 422, reply.text
    assert "less than or equal" in reply.json()["detail"], reply.text
