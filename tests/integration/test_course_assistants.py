"""Issue 21: teaching assistants read a course and change nothing; the console's token
opens the course routes and nothing else (real API over HTTP)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from ainative.db.engine import session_scope
from ainative.hub.accounts import load_account
from ainative.hub.model import DEFAULT_INSTRUCTOR_SCOPES, auth_model
from tests.support.staff import StaffedCourse, console_headers, staffed_course

INSTRUCTOR_ONLY = "requires course role: instructor"


@pytest.fixture
def course(api: httpx.Client, make_user) -> StaffedCourse:
    return staffed_course(api, make_user)


def test_assistant_joins_by_invitation_and_reads_roster_summary_and_policy(api, course):
    """The accepted invitation makes the account an assistant, who reads the course."""
    staff = course.assistant.headers
    mine = api.get("/api/v1/courses", headers=staff).json()["data"]
    assert [(c["id"], c["role"]) for c in mine] == [(course.id, "assistant")]
    r = api.get(course.url("/members"), headers=staff)
    assert r.status_code == 200, r.text
    roles = {m["user_id"]: m["role"] for m in r.json()["data"]}
    assert roles[course.assistant.id] == "assistant" and roles[course.student.id] == "student"
    assert all(m["email"] is None for m in r.json()["data"]), "assistants see no e-mail"
    assert api.get(course.url("/summary"), headers=staff).status_code == 200
    assert api.get(course.url("/experiments"), headers=staff).status_code == 200
    assert api.get(course.url("/policy"), headers=staff).status_code == 200
    # The student of the course reads none of the staff views.
    for path in ("/members", "/summary", "/experiments"):
        r = api.get(course.url(path), headers=course.student.headers)
        assert r.status_code == 403, path


def test_attack_assistant_cannot_change_policy_join_codes_or_experiments(api, course, make_user):
    """Every changing route answers 403 'requires course role: instructor' to an assistant."""
    staff = course.assistant.headers
    outsider = make_user()
    experiment = {"name": "e1", "arms": [{"name": "a", "policy": {}}, {"name": "b", "policy": {}}]}
    attempts = [
        ("PUT", "/policy", {"allowed_modes": ["hints"]}),
        ("POST", "/join-code", None),
        ("DELETE", "/join-code", None),
        ("POST", "/experiments", experiment),
        ("POST", "/members", {"username": outsider.username, "role": "student"}),
        ("POST", "/members", {"username": outsider.username, "role": "assistant"}),
        ("DELETE", f"/members/{course.student.id}", None),
    ]
    for method, path, body in attempts:
        r = api.request(method, course.url(path), json=body, headers=staff)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["detail"] == INSTRUCTOR_ONLY, (method, path, r.text)
    r = api.post(f"/api/v1/users/{course.student.id}/reset-link", headers=staff)
    assert r.status_code == 403, "an assistant made a reset link"
    # Nothing changed: the policy, the members, no experiment, no invitation.
    policy = api.get(course.url("/policy"), headers=course.instructor.headers).json()
    assert len(policy["allowed_modes"]) > 1
    assert api.get("/api/v1/me/invitations", headers=outsider.headers).json()["data"] == []
    listed = api.get(course.url("/experiments"), headers=course.instructor.headers).json()
    assert listed["data"] == []
    members = api.get(course.url("/members"), headers=course.instructor.headers).json()["data"]
    assert course.student.id in {m["user_id"] for m in members}
    # The instructor can do each of them.
    r = api.put(
        course.url("/policy"),
        json={"allowed_modes": ["hints"]},
        headers=course.instructor.headers,
    )
    assert r.status_code == 200, r.text


def test_instructor_may_not_make_an_instructor_but_an_admin_makes_an_assistant(
    api, course, make_user
):
    other = make_user()
    body = {"user_id": other.id, "role": "instructor"}
    r = api.post(course.url("/members"), json=body, headers=course.instructor.headers)
    assert r.status_code == 403 and "only admins" in r.json()["detail"]
    body = {"user_id": other.id, "role": "assistant"}
    r = api.post(course.url("/members"), json=body, headers=course.admin.headers)
    assert r.status_code == 201 and r.json()["role"] == "assistant", r.text


def test_assistants_reach_no_students_servers_through_the_hub(api, course, db: Engine):
    """An assistant is in the course's staff group, with no role over its student group."""
    with session_scope(db) as session:
        account = load_account(session, user_id=course.assistant.id)
    assert account is not None
    model = auth_model(account, group_prefix="course-", instructor_scopes=DEFAULT_INSTRUCTOR_SCOPES)
    assert all(not g.startswith("course-") for g in model["groups"]), model["groups"]
    # the console role only signs in to the console; the API decides what an assistant may do
    assert [r["name"] for r in model["roles"]] == ["user", "console-user"]


def test_attack_console_token_is_refused_by_me_and_auth_routes(api, course, stack, db):
    """The console's token (scope "console") opens the course routes only."""
    console = console_headers(db, stack.settings(), course.instructor)
    refused = [
        ("GET", "/api/v1/auth/me", None),
        ("PATCH", "/api/v1/auth/me", {"research_consent": False}),
        (
            "POST",
            "/api/v1/auth/change-password",
            {"current_password": "x", "new_password": "Another-pass-9"},
        ),
        ("GET", "/api/v1/me/data", None),
        ("DELETE", "/api/v1/me/data", None),
        ("GET", "/api/v1/me/invitations", None),
        ("GET", "/api/v1/tutor/requests", None),
        ("POST", "/api/v1/tutor/requests", {"prompt": "hello there", "mode": "socratic"}),
        ("GET", "/api/v1/admin/stats", None),
    ]
    for method, path, body in refused:
        r = api.request(method, path, json=body, headers=console)
        assert r.status_code == 403, (method, path, r.status_code, r.text)
    # The same token opens the course routes the console calls.
    assert api.get("/api/v1/courses", headers=console).json()["data"][0]["id"] == course.id
    assert api.get(course.url("/members"), headers=console).status_code == 200
    r = api.post(course.url("/join-code"), headers=console)
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/users/{course.student.id}/reset-link", headers=console)
    assert r.status_code == 201, r.text
    # An admin's console token creates courses; an instructor's does not.
    admin_console = console_headers(db, stack.settings(), course.admin)
    new = {"code": f"CON{course.id}x{course.student.id}", "title": "c"}
    r = api.post("/api/v1/courses", json=new, headers=console)
    assert r.status_code == 403, r.text
    r = api.post("/api/v1/courses", json=new, headers=admin_console)
    assert r.status_code == 201, r.text
    assert api.get("/api/v1/admin/stats", headers=admin_console).status_code == 403


def test_policy_and_join_code_changes_are_audited_with_their_actor(api, course, db: Engine):
    from sqlalchemy import text

    staff = course.instructor.headers
    assert (
        api.put(course.url("/policy"), json={"quota_per_hour": 5}, headers=staff).status_code == 200
    )
    assert api.post(course.url("/join-code"), headers=staff).status_code == 200
    assert api.delete(course.url("/join-code"), headers=staff).status_code == 204
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT action, actor_id FROM audit_log WHERE course_id = :c ORDER BY id"),
            {"c": course.id},
        ).all()
        changed_by = conn.execute(
            text(
                "SELECT changed_by FROM course_policy_versions WHERE course_id = :c"
                " ORDER BY version DESC LIMIT 1"
            ),
            {"c": course.id},
        ).scalar_one()
    actions = [(a, actor) for a, actor in rows if not a.startswith(("membership", "invitation"))]
    me = course.instructor.id
    assert actions == [("policy.changed", me), ("join_code.rotated", me), ("join_code.expired", me)]
    assert changed_by == me
