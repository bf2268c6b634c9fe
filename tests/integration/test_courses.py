"""Courses over HTTP: who may create, enrol, read and set the tutor policy."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from tests.support.api import invite_and_accept


def code() -> str:
    return f"CS{uuid.uuid4().hex[:8].upper()}"


@pytest.fixture
def course_setup(api: httpx.Client, make_user):
    """An admin, a course with an instructor, an enrolled student and an outsider."""
    admin = make_user(roles=("admin",))
    instructor = make_user(roles=("instructor",))
    student = make_user()
    outsider = make_user()
    r = api.post(
        "/api/v1/courses",
        json={"code": code(), "title": "Programming 1", "tutor_policy": {"quota_per_hour": 5}},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    course = r.json()
    base = f"/api/v1/courses/{course['id']}"
    r = api.post(
        f"{base}/members",
        json={"user_id": instructor.id, "role": "instructor"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    invite_and_accept(api, course["id"], student, instructor.headers)
    return {
        "admin": admin,
        "instructor": instructor,
        "student": student,
        "outsider": outsider,
        "course": course,
        "base": base,
    }


def test_only_admins_create_courses(api: httpx.Client, make_user) -> None:
    for roles in (("student",), ("instructor",)):
        user = make_user(roles=roles)
        r = api.post("/api/v1/courses", json={"code": code(), "title": "T"}, headers=user.headers)
        assert r.status_code == 403


def test_create_course_validates_and_refuses_duplicates(api: httpx.Client, make_user) -> None:
    admin = make_user(roles=("admin",))
    c = code()
    r = api.post("/api/v1/courses", json={"code": c, "title": "T"}, headers=admin.headers)
    assert r.status_code == 201
    assert r.json()["tutor_policy"] == {}
    r = api.post("/api/v1/courses", json={"code": c, "title": "Again"}, headers=admin.headers)
    assert r.status_code == 409 and c in r.json()["detail"]
    r = api.post("/api/v1/courses", json={"code": "has space", "title": "T"}, headers=admin.headers)
    assert r.status_code == 422 and "code" in r.json()["detail"]


def test_each_caller_sees_their_own_courses(api: httpx.Client, course_setup) -> None:
    s = course_setup
    course_id = s["course"]["id"]
    mine = api.get("/api/v1/courses", headers=s["student"].headers).json()
    assert [(c["id"], c["role"]) for c in mine["data"]] == [(course_id, "student")]
    taught = api.get("/api/v1/courses", headers=s["instructor"].headers).json()
    assert [(c["id"], c["role"]) for c in taught["data"]] == [(course_id, "instructor")]
    assert api.get("/api/v1/courses", headers=s["outsider"].headers).json()["data"] == []
    everything = api.get("/api/v1/courses", headers=s["admin"].headers).json()
    assert course_id in {c["id"] for c in everything["data"]}


def test_course_access_by_role(api: httpx.Client, course_setup) -> None:
    s = course_setup
    base = s["base"]
    assert api.get(base, headers=s["student"].headers).status_code == 200
    assert api.get(base, headers=s["outsider"].headers).status_code == 403
    assert api.get(f"{base}/members", headers=s["student"].headers).status_code == 403
    members = api.get(f"{base}/members", headers=s["instructor"].headers).json()
    assert {(m["username"], m["role"]) for m in members["data"]} == {
        (s["instructor"].username, "instructor"),
        (s["student"].username, "student"),
    }
    assert api.get("/api/v1/courses/999999", headers=s["admin"].headers).status_code == 404


def test_enrolment_rules(api: httpx.Client, course_setup, make_user) -> None:
    s = course_setup
    base = s["base"]
    newcomer = make_user()
    as_instructor = {"user_id": newcomer.id, "role": "instructor"}
    r = api.post(f"{base}/members", json=as_instructor, headers=s["instructor"].headers)
    assert r.status_code == 403 and "admins" in r.json()["detail"]
    as_student = {"user_id": newcomer.id, "role": "student"}
    assert (
        api.post(f"{base}/members", json=as_student, headers=s["student"].headers).status_code
        == 403
    )
    r = api.post(
        f"{base}/members", json={"user_id": s["instructor"].id}, headers=s["instructor"].headers
    )
    assert r.status_code == 202, "an instructor only invites, and a fellow instructor is not"
    roles = {
        m["user_id"]: m["role"]
        for m in api.get(f"{base}/members", headers=s["admin"].headers).json()["data"]
    }
    assert roles[s["instructor"].id] == "instructor"
    both = {"user_id": newcomer.id, "username": newcomer.username}
    r = api.post(f"{base}/members", json=both, headers=s["admin"].headers)
    assert r.status_code == 422 and "exactly one" in r.json()["detail"]
    r = api.post(f"{base}/members", json={"username": "nobody-here"}, headers=s["admin"].headers)
    assert r.status_code == 404


def test_instructor_of_another_course_has_no_power_here(api, course_setup, make_user) -> None:
    s = course_setup
    other = api.post(
        "/api/v1/courses", json={"code": code(), "title": "Other"}, headers=s["admin"].headers
    ).json()
    stranger = make_user(roles=("instructor",))
    body = {"user_id": stranger.id, "role": "instructor"}
    api.post(f"/api/v1/courses/{other['id']}/members", json=body, headers=s["admin"].headers)
    r = api.post(
        f"{s['base']}/members",
        json={"user_id": s["outsider"].id},
        headers=stranger.headers,
    )
    assert r.status_code == 403
    r = api.put(f"{s['base']}/policy", json={}, headers=stranger.headers)
    assert r.status_code == 403


def test_remove_member(api: httpx.Client, course_setup) -> None:
    s = course_setup
    url = f"{s['base']}/members/{s['student'].id}"
    assert api.delete(url, headers=s["student"].headers).status_code == 403
    assert api.delete(url, headers=s["instructor"].headers).status_code == 204
    assert api.get(s["base"], headers=s["student"].headers).status_code == 403
    assert api.delete(url, headers=s["instructor"].headers).status_code == 404
    teacher = f"{s['base']}/members/{s['instructor'].id}"
    assert api.delete(teacher, headers=s["instructor"].headers).status_code == 403


def test_instructor_sets_policy_students_read_it(api: httpx.Client, course_setup) -> None:
    s = course_setup
    policy = {
        "allowed_modes": ["hints", "socratic", "hints"],
        "quota_per_hour": 12,
        "extra_context": "Week 3: recursion.",
        "student_notes": "Hints only this week.",
        "provider": "openai",
        "model": "fake-model",
    }
    r = api.put(f"{s['base']}/policy", json=policy, headers=s["instructor"].headers)
    assert r.status_code == 200, r.text
    stored = r.json()["tutor_policy"]
    assert stored["allowed_modes"] == ["socratic", "hints"]
    assert stored["quota_per_hour"] == 12
    seen = api.get(f"{s['base']}/policy", headers=s["student"].headers).json()
    # extra_context is tutor-only (issue 20, finding 6): students get student_notes instead.
    assert seen["extra_context"] is None and seen["student_notes"] == "Hints only this week."
    assert seen["model"] == "fake-model"
    staff = api.get(f"{s['base']}/policy", headers=s["instructor"].headers).json()
    assert staff["extra_context"] == "Week 3: recursion."
    r = api.put(f"{s['base']}/policy", json=policy, headers=s["student"].headers)
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"allowed_modes": ["lecture"]}, "allowed_modes"),
        ({"allowed_modes": []}, "allowed_modes"),
        ({"quota_per_hour": -1}, "quota_per_hour"),
        ({"extra_context": "x" * 4001}, "extra_context"),
        ({"student_notes": "x" * 2001}, "student_notes"),
        ({"student_notes": ["not", "text"]}, "student_notes"),
        ({"student_notes": "a\x00b"}, "student_notes"),
        ({"provider": "anthropic"}, "provider"),
        ({"temperature": 2}, "temperature"),
    ],
)
def test_policy_validation(api: httpx.Client, course_setup, policy: dict, field: str) -> None:
    s = course_setup
    r = api.put(f"{s['base']}/policy", json=policy, headers=s["admin"].headers)
    assert r.status_code == 422
    assert field in r.json()["detail"]


def test_course_summary_counts_each_students_interactions(api, course_setup, stack) -> None:
    from sqlalchemy import create_engine, text

    s = course_setup
    engine = create_engine(stack.database_url)
    with engine.begin() as conn:
        for helpful, score in ((True, 4), (False, None), (True, 2), (None, None)):
            conn.execute(
                text(
                    "INSERT INTO interactions"
                    " (id, user_id, course_id, mode, prompt, status, helpful, score)"
                    " VALUES (:id, :u, :c, 'socratic', 'why?', 'done', :h, :s)"
                ),
                {
                    "id": uuid.uuid4(),
                    "u": s["student"].id,
                    "c": s["course"]["id"],
                    "h": helpful,
                    "s": score,
                },
            )
        last = conn.execute(
            text("SELECT max(created_at) FROM interactions WHERE user_id = :u"),
            {"u": s["student"].id},
        ).scalar_one()
    engine.dispose()
    assert api.get(f"{s['base']}/summary", headers=s["student"].headers).status_code == 403
    summary = api.get(f"{s['base']}/summary", headers=s["instructor"].headers).json()
    assert len(summary["data"]) == 1, summary
    row = summary["data"][0]
    assert datetime.fromisoformat(row.pop("last_interaction_at")) == last
    assert row == {
        "user_id": s["student"].id,
        "username": s["student"].username,
        "interactions": 4,
        "helpful_votes": 3,
        "helpful_share": pytest.approx(2 / 3),
        "scored": 2,
        "mean_score": 3.0,
    }


def test_course_policy_for_is_one_query(fresh_database_url: str) -> None:
    from sqlalchemy import create_engine, event
    from sqlalchemy.orm import Session

    from ainative.auth.users import create_user
    from ainative.course import courses
    from ainative.db.engine import normalise_url

    engine = create_engine(normalise_url(fresh_database_url))
    statements: list[str] = []
    try:
        with Session(engine) as session:
            member = create_user(
                session, username="member1", email="m1@example.org", password="Secret-pass-1"
            )
            other = create_user(
                session, username="other1", email="o1@example.org", password="Secret-pass-1"
            )
            course = courses.create_course(
                session, code="P1", title="P", tutor_policy={"quota_per_hour": 3}
            )
            courses.add_member(session, course_id=course.id, user_id=member.id, role="student")
            ids = (member.id, other.id, course.id)
            session.expunge_all()

            event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
            policy = courses.course_policy_for(session, ids[0], ids[2])
            assert policy == {"quota_per_hour": 3}
            assert len(statements) == 1
            assert courses.course_policy_for(session, ids[1], ids[2]) is None
            assert courses.course_policy_for(session, ids[0], 999999) is None
    finally:
        engine.dispose()


@pytest.mark.parametrize("roles", [("admin",), ("instructor",), ("student", "admin")])
def test_attack_instructor_enrols_staff_to_reach_their_server(api, course_setup, make_user, roles):
    """Enrolment puts a server within the instructors' reach: instructors attach no one, and
    staff accounts get no invitation either (the same reply as for anyone)."""
    s = course_setup
    target = make_user(roles=roles)
    for body in ({"user_id": target.id}, {"username": target.username}):
        r = api.post(f"{s['base']}/members", json=body, headers=s["instructor"].headers)
        assert r.status_code == 202, r.text
    members = api.get(f"{s['base']}/members", headers=s["admin"].headers).json()
    assert target.id not in {m["user_id"] for m in members["data"]}
    assert api.get("/api/v1/me/invitations", headers=target.headers).json()["count"] == 0
    r = api.post(f"{s['base']}/members", json={"user_id": target.id}, headers=s["admin"].headers)
    assert r.status_code == 201, "admins may still enrol anyone"


def test_attack_instructor_reads_staff_emails(api, course_setup, make_user) -> None:
    s = course_setup
    admin_as_student = make_user(roles=("admin",))
    body = {"user_id": admin_as_student.id}
    assert (
        api.post(f"{s['base']}/members", json=body, headers=s["admin"].headers).status_code == 201
    )
    seen = {
        m["user_id"]: m
        for m in api.get(f"{s['base']}/members", headers=s["instructor"].headers).json()["data"]
    }
    assert seen[s["student"].id]["email"] == s["student"].email
    assert seen[s["student"].id]["research_consent"] is None, "consent is for admins only"
    for hidden in (admin_as_student.id, s["instructor"].id):
        assert seen[hidden]["email"] is None and seen[hidden]["research_consent"] is None
    everything = api.get(f"{s['base']}/members", headers=s["admin"].headers).json()["data"]
    assert all(m["email"] for m in everything), "admins see every member's email"
    assert all(m["research_consent"] is not None for m in everything)
