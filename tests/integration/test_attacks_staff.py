"""Issue 20, finding 1: an instructor's powers reach no account that did not join.

The attack: an instructor attaches an existing student (by id, username or email) to
their course, which makes the student "theirs": a reset link, a new password, a login as
the student and `me/data` from every course. They also probed which ids exist (201, 403
and 404 answers) and read e-mail and consent in the reply. Now instructors only invite,
with one reply for every account; an invitation grants nothing until accepted; every
enrolment, invitation and reset link is in the audit log with who did it.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from ainative.db.engine import session_scope
from ainative.hub.accounts import load_account
from tests.support.api import invite_and_accept


@pytest.fixture
def course(api: httpx.Client, make_user) -> dict[str, Any]:
    """A course taught by a fresh instructor; its id, admin and instructor."""
    admin, instructor = make_user(roles=("admin",)), make_user(roles=("instructor",))
    code = f"ST{uuid.uuid4().hex[:6]}"
    r = api.post("/api/v1/courses", json={"code": code, "title": code}, headers=admin.headers)
    assert r.status_code == 201, r.text
    course_id = r.json()["id"]
    body = {"user_id": instructor.id, "role": "instructor"}
    r = api.post(f"/api/v1/courses/{course_id}/members", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    return {"id": course_id, "admin": admin, "instructor": instructor}


def members_url(course: dict[str, Any]) -> str:
    return f"/api/v1/courses/{course['id']}/members"


def member_ids(api: httpx.Client, course: dict[str, Any]) -> set[int]:
    r = api.get(members_url(course), headers=course["admin"].headers)
    return {m["user_id"] for m in r.json()["data"]}


def audit_rows(db: Engine, user_id: int) -> list[tuple[str, int | None, int | None]]:
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, actor_id, course_id FROM audit_log"
                " WHERE target_user_id = :u ORDER BY id"
            ),
            {"u": user_id},
        ).all()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("by", ["user_id", "username", "email"])
def test_attack_instructor_enrols_a_student_to_reset_their_password(
    api: httpx.Client, course, make_user, by: str
) -> None:
    """The takeover chain: attach the student, make a reset link, set the password."""
    victim = make_user()
    target = {"user_id": victim.id, "username": victim.username, "email": victim.email}[by]
    body = {"user_id": target} if by == "user_id" else {"username": target}
    r = api.post(members_url(course), json=body, headers=course["instructor"].headers)
    link = api.post(f"/api/v1/users/{victim.id}/reset-link", headers=course["instructor"].headers)
    assert link.status_code == 403, f"a reset link for a student who never joined: {link.text}"
    assert victim.id not in member_ids(api, course), "the instructor attached the student"
    assert r.status_code == 202, r.text
    assert api.get("/api/v1/courses", headers=victim.headers).json()["data"] == []
    # The student's own password still works: nothing was taken over.
    login = {"username": victim.username, "password": victim.password}
    assert api.post("/api/v1/auth/login", json=login).status_code == 200


def test_attack_instructor_probes_which_accounts_exist(api: httpx.Client, course, make_user):
    """Existing, unknown, staff and already-enrolled accounts get the very same reply."""
    student, admin, member = make_user(), make_user(roles=("admin",)), make_user()
    body = {"user_id": member.id}
    assert (
        api.post(members_url(course), json=body, headers=course["admin"].headers).status_code == 201
    )
    ghost = f"ghost{uuid.uuid4().hex[:8]}"
    bodies = [
        {"user_id": student.id},
        {"user_id": 2**31 - 1},
        {"user_id": admin.id},
        {"user_id": member.id},
        {"user_id": course["instructor"].id},
        {"username": student.username},
        {"username": ghost},
        {"username": student.email},
        {"username": f"{ghost}@example.org"},
        {"username": admin.username},
    ]
    replies = set()
    for body in bodies:
        r = api.post(members_url(course), json=body, headers=course["instructor"].headers)
        replies.add((r.status_code, r.text))
    assert len(replies) == 1, replies
    assert replies.pop()[0] == 202


def test_attack_instructor_reads_a_students_email_and_consent(api, course, make_user) -> None:
    """The invitation's reply shows nothing of the account; the list never shows consent."""
    student = make_user(consent=True)
    r = api.post(
        members_url(course), json={"user_id": student.id}, headers=course["instructor"].headers
    )
    assert student.email not in r.text and student.username not in r.text, r.text
    assert set(r.json()) == {"detail"} and r.status_code == 202
    invite_and_accept(api, course["id"], student, course["instructor"].headers)
    seen = api.get(members_url(course), headers=course["instructor"].headers).json()["data"]
    mine = next(m for m in seen if m["user_id"] == student.id)
    assert mine["email"] == student.email, "a student who joined: the instructor may write"
    assert all(m["research_consent"] is None for m in seen), "consent is for admins only"


def test_attack_an_invitation_grants_nothing_until_accepted(api, course, make_user, db):
    """No membership, no hub group (so no access:servers), no reset link, until accepted;
    declining, or another account's accept, changes nothing."""
    student, other = make_user(), make_user()
    staff = course["instructor"].headers
    r = api.post(members_url(course), json={"username": student.username}, headers=staff)
    with session_scope(db) as session:
        account = load_account(session, user_id=student.id)
        assert account is not None and account.courses == (), "a hub group before accepting"
    assert r.status_code == 202
    invitation = api.get("/api/v1/me/invitations", headers=student.headers).json()["data"][0]
    assert invitation["course_id"] == course["id"]
    assert invitation["invited_by"] == course["instructor"].username
    stolen = f"/api/v1/me/invitations/{invitation['id']}/accept"
    assert api.post(stolen, headers=other.headers).status_code == 404
    assert other.id not in member_ids(api, course)
    assert api.post(f"/api/v1/users/{student.id}/reset-link", headers=staff).status_code == 403

    r = api.post(f"/api/v1/me/invitations/{invitation['id']}/decline", headers=student.headers)
    assert r.status_code == 204
    assert student.id not in member_ids(api, course)
    assert api.post(stolen, headers=student.headers).status_code == 404, "declined is gone"

    invite_and_accept(api, course["id"], student, staff)
    with session_scope(db) as session:
        account = load_account(session, user_id=student.id)
        assert account is not None
        assert [(c.id, c.role) for c in account.courses] == [(course["id"], "student")]
    assert api.post(f"/api/v1/users/{student.id}/reset-link", headers=staff).status_code == 201


def test_attack_enrolments_invitations_and_resets_leave_a_trace(api, course, make_user, db):
    """Deleting the membership no longer removes the trace: the audit log keeps who did what."""
    student = make_user()
    instructor, admin = course["instructor"], course["admin"]
    invite_and_accept(api, course["id"], student, instructor.headers)
    assert (
        api.post(f"/api/v1/users/{student.id}/reset-link", headers=instructor.headers).status_code
        == 201
    )
    r = api.delete(f"{members_url(course)}/{student.id}", headers=instructor.headers)
    assert r.status_code == 204
    body = {"user_id": student.id}
    assert api.post(members_url(course), json=body, headers=admin.headers).status_code == 201
    assert audit_rows(db, student.id) == [
        ("invitation.created", instructor.id, course["id"]),
        ("invitation.accepted", student.id, course["id"]),
        ("reset_link.created", instructor.id, None),
        ("membership.removed", instructor.id, course["id"]),
        ("membership.added", admin.id, course["id"]),
    ]
