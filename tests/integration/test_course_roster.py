"""Issue 21: the roster as course staff read it — activity per member, research consent
as counts only (real API over HTTP)."""

from __future__ import annotations

import httpx

from tests.support.staff import asked, runs, staffed_course


def test_roster_shows_each_members_activity_in_the_course(api: httpx.Client, make_user):
    course = staffed_course(api, make_user)
    asked(api, course.id, course.student, "Why does my loop print the wrong index here?")
    runs(api, course.id, course.student, [None, "TypeError", "NameError"])
    r = api.get(course.url("/members"), headers=course.assistant.headers)
    assert r.status_code == 200, r.text
    members = {m["user_id"]: m for m in r.json()["data"]}
    student = members[course.student.id]
    assert student["questions"] == 1 and student["last_error"] == "NameError"
    assert student["joined_at"] and student["last_active_at"]
    idle = members[course.instructor.id]
    assert idle["questions"] == 0 and idle["last_error"] is None
    assert idle["last_active_at"] is None
    assert [m["role"] for m in r.json()["data"]][:2] == ["instructor", "assistant"]


def test_attack_roster_reveals_no_consent_choice_to_instructors(api: httpx.Client, make_user):
    """Three students chose differently; instructors and assistants see only the counts,
    in no per-member field; an admin still sees each choice."""
    course = staffed_course(api, make_user)  # its student granted consent
    declined, unset = make_user(), make_user(consent=False)
    r = api.patch("/api/v1/auth/me", json={"research_consent": False}, headers=declined.headers)
    assert r.status_code == 200, r.text
    body = {"username": declined.username, "role": "student"}
    for student in (declined, unset):
        body = {"user_id": student.id, "role": "student"}
        r = api.post(course.url("/members"), json=body, headers=course.admin.headers)
        assert r.status_code == 201, r.text
    expected = {"granted": 1, "declined": 1, "unset": 1}
    for reader in (course.instructor, course.assistant):
        r = api.get(course.url("/members"), headers=reader.headers)
        assert r.status_code == 200, r.text
        assert r.json()["consent_counts"] == expected
        assert all(m["research_consent"] is None for m in r.json()["data"])
        assert '"research_consent":true' not in r.text.replace(" ", "")
        assert '"research_consent":false' not in r.text.replace(" ", "")
    admin = api.get(course.url("/members"), headers=course.admin.headers).json()
    seen = {m["user_id"]: m["research_consent"] for m in admin["data"]}
    assert (seen[course.student.id], seen[declined.id], seen[unset.id]) == (True, False, False)
    assert admin["consent_counts"] == expected
