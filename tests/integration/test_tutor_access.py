"""Who may read what, input validation, course policy, quota, idempotency, ratings, sessions."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from tests.support.api import REQUESTS, wait_answer
from tests.support.db import row_of
from tests.support.factories import make_course


def _ask(api, user, prompt: str | None = None, **extra):
    body = {"prompt": prompt or f"What is a generator? {uuid.uuid4().hex}", **extra}
    return api.post(REQUESTS, json=body, headers=user.headers)


def _events(db, user_id: int, event_type: str) -> list[dict]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM events WHERE user_id = :u AND event_type = :t ORDER BY id"),
            {"u": user_id, "t": event_type},
        )
        return [dict(r) for r in rows.mappings()]


def test_students_cannot_read_each_others_interactions(api, make_user) -> None:
    alice, bob, admin = make_user(), make_user(), make_user(roles=("admin",))
    r = _ask(api, alice)
    assert r.status_code == 202, r.text
    interaction_id = r.json()["id"]
    assert api.get(f"{REQUESTS}/{interaction_id}", headers=bob.headers).status_code == 404
    missing = api.get(f"{REQUESTS}/{uuid.uuid4()}", headers=alice.headers)
    assert missing.status_code == 404
    assert api.get(f"{REQUESTS}/{interaction_id}", headers=admin.headers).status_code == 200
    assert api.get(REQUESTS, headers=bob.headers).json()["items"] == []
    rating = api.post(
        f"{REQUESTS}/{interaction_id}/rating", json={"helpful": True}, headers=bob.headers
    )
    assert rating.status_code == 404
    assert api.get(f"{REQUESTS}/{interaction_id}").status_code == 401


def test_instructors_read_their_course_only(api, make_user, db) -> None:
    student = make_user()
    teacher, other_teacher = make_user(roles=("instructor",)), make_user(roles=("instructor",))
    course = make_course(db, {}, [(student.id, "student"), (teacher.id, "instructor")])
    r = _ask(api, student, course_id=course)
    assert r.status_code == 202, r.text
    url = f"{REQUESTS}/{r.json()['id']}"
    assert api.get(url, headers=teacher.headers).status_code == 200
    assert api.get(url, headers=other_teacher.headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"prompt": "x" * 8001}, "8000"),
        ({"prompt": "   "}, "empty"),
        ({"prompt": "hi", "mode": "oracle"}, "mode"),
        ({"mode": "socratic"}, "prompt"),
        ({"prompt": "hi", "context": {"code": "x" * 20_001}}, "context"),
        ({"prompt": "hi", "context": {"shell": "rm -rf /"}}, "shell"),
        ({"prompt": "hi", "client_request_id": "has spaces"}, "client_request_id"),
    ],
)
def test_invalid_requests_get_a_readable_422(api, make_user, body, needle) -> None:
    student = make_user()
    r = api.post(REQUESTS, json=body, headers=student.headers)
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]


def test_malformed_json_is_a_readable_422(api, make_user) -> None:
    student = make_user()
    r = api.post(
        REQUESTS,
        content=b'{"prompt": "unterminated',
        headers={**student.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_course_policy_membership_and_modes(api, make_user, db) -> None:
    member, outsider = make_user(), make_user()
    course = make_course(db, {"allowed_modes": ["hints"]}, [(member.id, "student")])
    assert _ask(api, outsider, course_id=course, mode="hints").status_code == 404
    assert _ask(api, member, course_id=999_999, mode="hints").status_code == 404
    refused = _ask(api, member, course_id=course, mode="socratic")
    assert refused.status_code == 422 and "hints" in refused.json()["detail"]
    assert _ask(api, member, course_id=course, mode="hints").status_code == 202


def test_quota_exhaustion_is_a_429_with_refill_time(api, make_user, db) -> None:
    student = make_user()
    course = make_course(db, {"quota_per_hour": 2}, [(student.id, "student")])
    before = api.get("/api/v1/tutor/quota", params={"course_id": course}, headers=student.headers)
    assert before.status_code == 200 and before.json()["remaining"] == 2
    assert _ask(api, student, course_id=course).status_code == 202
    assert _ask(api, student, course_id=course).status_code == 202
    over = _ask(api, student, course_id=course)
    assert over.status_code == 429, over.text
    detail = over.json()["detail"]
    assert "tutor quota used up: 2 questions per hour" in detail and "UTC" in detail
    assert 0 < int(over.headers["Retry-After"]) <= 3600
    assert over.json()["remaining"] == 0 and over.json()["resets_at"]
    after = api.get("/api/v1/tutor/quota", params={"course_id": course}, headers=student.headers)
    assert after.json()["remaining"] == 0 and after.json()["resets_at"]
    events = _events(db, student.id, "quota.exceeded")
    assert len(events) == 1 and events[0]["course_id"] == course
    assert events[0]["payload"]["limit"] == 2
    # leaving course_id out does not escape the course: it is the student's only course
    assert _ask(api, student).status_code == 429
    assert api.get("/api/v1/tutor/quota", headers=student.headers).json()["course_id"] == course


def test_client_request_id_makes_submission_idempotent(api, make_user, db) -> None:
    student = make_user()
    crid = f"cell-{uuid.uuid4().hex[:12]}"
    prompt = f"What does enumerate return? {uuid.uuid4().hex}"
    first = _ask(api, student, prompt, client_request_id=crid)
    second = _ask(api, student, prompt, client_request_id=crid)
    assert first.status_code == 202 and second.status_code in (200, 202)
    assert first.json()["id"] == second.json()["id"]
    with db.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM interactions WHERE user_id = :u AND client_request_id = :c"),
            {"u": student.id, "c": crid},
        ).scalar_one()
    assert count == 1
    quota = api.get("/api/v1/tutor/quota", headers=student.headers).json()
    assert quota["used"] == 1  # the duplicate did not count


def test_rating_and_sessions_record_events(api, make_user, db) -> None:
    student = make_user()
    session = api.post("/api/v1/tutor/sessions", json={"client": "widget"}, headers=student.headers)
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]
    r = _ask(api, student, session_id=session_id)
    assert r.status_code == 202, r.text
    interaction_id = r.json()["id"]
    assert wait_answer(api, student.headers, interaction_id)["status"] == "done"
    rated = api.post(
        f"{REQUESTS}/{interaction_id}/rating", json={"helpful": True}, headers=student.headers
    )
    assert rated.status_code == 200 and rated.json()["helpful"] is True
    bad = api.post(
        f"{REQUESTS}/{interaction_id}/rating", json={"score": 9}, headers=student.headers
    )
    assert bad.status_code == 422
    row = row_of(db, interaction_id)
    assert row["helpful"] is True and row["rated_at"] is not None
    assert str(row["session_id"]) == session_id
    ended = api.post(f"/api/v1/tutor/sessions/{session_id}/end", headers=student.headers)
    assert ended.status_code == 200 and ended.json()["ended_at"]
    assert [e["payload"]["helpful"] for e in _events(db, student.id, "interaction.rated")] == [True]
    assert len(_events(db, student.id, "session.start")) == 1
    assert len(_events(db, student.id, "session.end")) == 1
    other = make_user()
    foreign = _ask(api, other, session_id=session_id)
    assert foreign.status_code == 404
    assert (
        api.post(f"/api/v1/tutor/sessions/{session_id}/end", headers=other.headers).status_code
        == 404
    )
