"""Issue 23: ask a person — the API contract and each of its refusals (real API over HTTP).

A student hands a tutor session to the course's staff; an assistant claims it (a second
claim is refused), replies in Markdown (rendered with the tutor's sanitiser), resolves.
Another student's escalation is a 404; a student of the course cannot list or claim it.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import text

from tests.support.api import ask, wait_answer
from tests.support.staff import StaffedCourse, console_headers, invite_and_accept_as, staffed_course


@pytest.fixture
def course(api: httpx.Client, make_user) -> StaffedCourse:
    return staffed_course(api, make_user)


def _session(api: httpx.Client, course: StaffedCourse, headers=None) -> str:
    r = api.post(
        "/api/v1/tutor/sessions",
        json={"course_id": course.id, "client": "notebook"},
        headers=headers or course.student.headers,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _escalate(api, session_id, headers, **body):
    payload = {
        "message": "I still do not get why x is undefined",
        "cell": {"source": "print(x)", "error": "NameError: name 'x' is not defined"},
        "notebook_path": "lab1.ipynb",
        "cells": [{"cell_type": "code", "source": "print(x)", "execution_count": 3}],
        **body,
    }
    return api.post(
        f"/api/v1/tutor/sessions/{session_id}/escalations", json=payload, headers=headers
    )


def test_student_asks_assistant_claims_replies_resolves(api, course, db):
    student = course.student.headers
    session = _session(api, course)
    r = ask(api, student, "why NameError?", course_id=course.id, session_id=session)
    assert r.status_code in (200, 202), r.text
    answered = wait_answer(api, student, r.json()["id"])
    r = _escalate(api, session, student)
    assert r.status_code == 201, r.text
    esc = r.json()
    assert esc["status"] == "waiting" and esc["position"] == 1
    assert esc["snapshot"] is None, "the student's own view carries no snapshot"
    # Staff list the queue, oldest first, with a waiting time.
    r = api.get(
        course.url("/escalations"), params={"status": "waiting"}, headers=course.assistant.headers
    )
    assert r.status_code == 200, r.text
    [item] = r.json()["data"]
    assert item["id"] == esc["id"] and item["waiting_seconds"] >= 0
    assert item["username"] == course.student.username and item["tutor_turns"] == 1
    # The student waits for a change (long-poll) while the assistant claims and replies.
    seen = esc["version"]
    got: dict = {}

    def poll() -> None:
        got["r"] = api.get(
            f"/api/v1/escalations/{esc['id']}",
            params={"wait": 20, "seen": seen},
            headers=student,
        )

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.5)
    staff = course.assistant.headers
    r = api.post(f"/api/v1/escalations/{esc['id']}/claim", headers=staff)
    assert r.status_code == 200, r.text
    claimed = r.json()
    assert claimed["status"] == "claimed"
    snapshot = claimed["snapshot"]
    assert snapshot["failing_cell"]["source"] == "print(x)"
    assert "NameError" in snapshot["failing_cell"]["error"]
    assert snapshot["conversation"][0]["prompt"] == "why NameError?"
    assert snapshot["conversation"][0]["answer"] == answered["answer"]
    assert snapshot["cells"][0]["execution_count"] == 3
    waiter.join(30)
    assert got["r"].status_code == 200 and got["r"].json()["status"] == "claimed"
    reply = "Come to my desk. <img src=x onerror=alert(1)> **x** is never assigned."
    r = api.post(f"/api/v1/escalations/{esc['id']}/reply", json={"text": reply}, headers=staff)
    assert r.status_code == 200, r.text
    mine = api.get(f"/api/v1/escalations/{esc['id']}", headers=student).json()
    assert mine["status"] == "answered" and mine["first_reply_at"] is not None
    [shown] = mine["replies"]
    assert shown["text"] == reply and shown["author"] == course.assistant.username
    assert "<strong>x</strong>" in shown["html"] and "<img" not in shown["html"]
    r = api.post(f"/api/v1/escalations/{esc['id']}/resolve", headers=staff)
    assert r.status_code == 200 and r.json()["status"] == "resolved", r.text
    # Audited with who did it.
    with db.connect() as conn:
        actions = conn.execute(
            text(
                "SELECT action, actor_id FROM audit_log WHERE details->>'escalation_id' = :e "
                "ORDER BY id"
            ),
            {"e": esc["id"]},
        ).all()
    assert [tuple(a) for a in actions] == [
        ("escalation.claimed", course.assistant.id),
        ("escalation.replied", course.assistant.id),
        ("escalation.resolved", course.assistant.id),
    ]


def test_refusals(api, course, make_user, db, stack):
    student = course.student.headers
    session = _session(api, course)
    esc = _escalate(api, session, student).json()
    url = f"/api/v1/escalations/{esc['id']}"
    # A second open request in the same conversation: 409.
    assert _escalate(api, session, student).status_code == 409
    # Another student's session: 404; an empty line: 422; a missing session: 404.
    other = make_user()
    assert _escalate(api, session, other.headers).status_code == 404
    assert _escalate(api, session, student, message="").status_code == 422
    assert _escalate(api, "00000000-0000-0000-0000-000000000000", student).status_code == 404
    # Another student's escalation is a 404 (read and withdraw), as a missing one is.
    assert api.get(url, headers=other.headers).status_code == 404
    assert api.post(f"{url}/withdraw", headers=other.headers).status_code == 404
    assert (
        api.get(
            "/api/v1/escalations/00000000-0000-0000-0000-000000000000", headers=student
        ).status_code
        == 404
    )
    # A student of the course cannot list or claim (403), an outsider cannot claim (404).
    classmate = make_user()
    invite_and_accept_as(api, course.id, classmate, course.instructor.headers, "student")
    assert api.get(course.url("/escalations"), headers=classmate.headers).status_code == 403
    r = api.post(f"{url}/claim", headers=classmate.headers)
    assert r.status_code == 403, r.text
    assert api.post(f"{url}/claim", headers=student).status_code == 403
    assert api.post(f"{url}/claim", headers=other.headers).status_code == 404
    assert api.get(course.url("/escalations"), headers=other.headers).status_code == 403
    # Replying before claiming: 409. A bad status filter: 422.
    r = api.post(f"{url}/reply", json={"text": "hi"}, headers=course.assistant.headers)
    assert r.status_code == 409, r.text
    r = api.get(
        course.url("/escalations"), params={"status": "lost"}, headers=course.assistant.headers
    )
    assert r.status_code == 422
    # Two assistants: only one claim succeeds; the second gets 409 and cannot reply.
    second = make_user()
    invite_and_accept_as(api, course.id, second, course.instructor.headers, "assistant")
    console = console_headers(db, stack.settings(), course.assistant)
    assert api.post(f"{url}/claim", headers=console).status_code == 200
    r = api.post(f"{url}/claim", headers=second.headers)
    assert r.status_code == 409 and "claimed by someone else" in r.json()["detail"], r.text
    r = api.post(f"{url}/reply", json={"text": "mine"}, headers=second.headers)
    assert r.status_code == 409, r.text
    r = api.post(f"{url}/reply", json={"text": ""}, headers=console)
    assert r.status_code == 422
    # The student withdraws; then nothing more can be done with it.
    r = api.post(f"{url}/withdraw", headers=student)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn", r.text
    assert api.post(f"{url}/withdraw", headers=student).status_code == 409
    assert api.post(f"{url}/resolve", headers=console).status_code == 409


def test_two_claims_at_once_one_wins(api, course, make_user):
    second = make_user()
    invite_and_accept_as(api, course.id, second, course.instructor.headers, "assistant")
    esc = _escalate(api, _session(api, course), course.student.headers).json()
    codes: list[int] = []

    def claim(headers) -> None:
        codes.append(
            api.post(f"/api/v1/escalations/{esc['id']}/claim", headers=headers).status_code
        )

    threads = [
        threading.Thread(target=claim, args=(h,))
        for h in (course.assistant.headers, second.headers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(codes) == [200, 409]


def test_deleted_with_the_students_data(api, course, db):
    esc = _escalate(api, _session(api, course), course.student.headers).json()
    r = api.delete(
        "/api/v1/me/data", params={"keep_account": "true"}, headers=course.student.headers
    )
    assert r.status_code == 200, r.text
    with db.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM escalations WHERE id = :e"), {"e": esc["id"]}
        )
        assert left.scalar_one() == 0
