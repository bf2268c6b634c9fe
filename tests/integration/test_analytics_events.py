"""POST /api/v1/events/batch: validated, bounded, stored for the caller only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.support.factories import make_course


def now_iso(offset_s: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat()


def cell(code: str = "x = 1", success: bool = True, **extra) -> dict:
    payload = {"code": code, "success": success, "execution_count": 1, **extra}
    return {"type": "cell.executed", "occurred_at": now_iso(), "payload": payload}


def stored(db, user_id: int) -> list[dict]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT user_id, session_id, event_type, payload FROM events WHERE user_id = :u"),
            {"u": user_id},
        )
        return [dict(r._mapping) for r in rows]


def make_session(db, user_id: int) -> str:
    session_id = str(uuid.uuid4())
    with db.begin() as conn:
        conn.execute(
            text("INSERT INTO tutor_sessions (id, user_id, client) VALUES (:id, :u, 'notebook')"),
            {"id": session_id, "u": user_id},
        )
    return session_id


def test_batch_is_stored_for_the_caller(api, make_user, db) -> None:
    user = make_user()
    session_id = make_session(db, user.id)
    events = [cell(), cell("1/0", False, error_type="ZeroDivisionError", error_message="boom")]
    r = api.post(
        "/api/v1/events/batch",
        json={"session_id": session_id, "events": events},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"received": 2, "stored": 2, "consent": True}
    rows = stored(db, user.id)
    assert len(rows) == 2
    assert {str(r["session_id"]) for r in rows} == {session_id}
    failing = next(r for r in rows if not r["payload"]["success"])
    assert failing["payload"]["error_type"] == "ZeroDivisionError"


def test_limits_report_consent(api, make_user) -> None:
    yes, no = make_user(consent=True), make_user(consent=False)
    assert api.get("/api/v1/events/limits", headers=yes.headers).json()["consent"] is True
    body = api.get("/api/v1/events/limits", headers=no.headers).json()
    assert body["consent"] is False and body["max_events_per_batch"] == 500


def test_user_id_in_the_body_is_rejected(api, make_user, db) -> None:
    attacker, victim = make_user(), make_user()
    for body in (
        {"user_id": victim.id, "events": [cell()]},
        {"events": [{**cell(), "user_id": victim.id}]},
    ):
        r = api.post("/api/v1/events/batch", json=body, headers=attacker.headers)
        assert r.status_code == 422, r.text
        assert "user_id" in r.json()["detail"]
    assert stored(db, victim.id) == [] and stored(db, attacker.id) == []


def test_another_users_session_is_rejected(api, make_user, db) -> None:
    attacker, victim = make_user(), make_user()
    victims_session = make_session(db, victim.id)
    r = api.post(
        "/api/v1/events/batch",
        json={"session_id": victims_session, "events": [cell()]},
        headers=attacker.headers,
    )
    assert r.status_code == 422 and "session" in r.json()["detail"]
    per_event = {**cell(), "session_id": victims_session}
    r = api.post("/api/v1/events/batch", json={"events": [per_event]}, headers=attacker.headers)
    assert r.status_code == 422
    assert stored(db, attacker.id) == [] and stored(db, victim.id) == []


def test_course_must_be_the_callers(api, make_user, db) -> None:
    user = make_user()
    course_id = make_course(db, code=f"EV{uuid.uuid4().hex[:8]}", title="x")
    r = api.post(
        "/api/v1/events/batch",
        json={"course_id": course_id, "events": [cell()]},
        headers=user.headers,
    )
    assert r.status_code == 422 and "course_id" in r.json()["detail"]


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"events": [cell()] * 501}, "events"),
        ({"events": []}, "events"),
        ({"events": [cell("x" * 17_000)]}, "payload"),
        ({"events": [{**cell(), "payload": {"blob": "é" * 9_000}}]}, "bytes"),
        ({"events": [{**cell(), "type": "grade.changed"}]}, "type"),
        ({"events": [{**cell(), "occurred_at": "2026-01-01T10:00:00"}]}, "timezone"),
        ({"events": [{**cell(), "occurred_at": now_iso(3600)}]}, "future"),
        ({"events": [{"type": "cell.executed", "occurred_at": now_iso(), "payload": {}}]}, "code"),
        ({"events": [{**cell(), "occurred_at": "yesterday"}]}, "occurred_at"),
        ({"events": "nope"}, "events"),
        ({"session_id": "not-a-uuid", "events": [cell()]}, "session_id"),
        ({"events": [cell("print('\x00')")]}, "NUL"),
    ],
)
def test_malformed_or_oversized_batches_get_422(api, make_user, db, body, fragment) -> None:
    user = make_user()
    r = api.post("/api/v1/events/batch", json=body, headers=user.headers)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"]
    assert stored(db, user.id) == []


def test_non_consenting_students_events_are_discarded(api, make_user, db) -> None:
    user = make_user(consent=False)
    r = api.post("/api/v1/events/batch", json={"events": [cell()]}, headers=user.headers)
    assert r.status_code == 200
    assert r.json() == {"received": 1, "stored": 0, "consent": False}
    assert stored(db, user.id) == []


def test_anonymous_batches_are_refused(api) -> None:
    r = api.post("/api/v1/events/batch", json={"events": [cell()]})
    assert r.status_code == 401
