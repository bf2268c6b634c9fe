"""Experiments through the API: instructors start one, students get arms on their first
question, every interaction records its arm and policy version, and the arm's policy is
what the tutor runs."""

from __future__ import annotations

import uuid
from collections import Counter

import httpx
import pytest

from tests.support.api import fake_requests, wait_answer
from tests.support.db import row_of


@pytest.fixture
def course(api: httpx.Client, make_user):
    admin, instructor = make_user(roles=("admin",)), make_user(roles=("instructor",))
    students = [make_user() for _ in range(4)]
    r = api.post(
        "/api/v1/courses",
        json={"code": f"EX{uuid.uuid4().hex[:8]}", "title": "Experiments", "tutor_policy": {}},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    base = f"/api/v1/courses/{r.json()['id']}"
    members = [(instructor, "instructor")] + [(s, "student") for s in students]
    for user, role in members:
        r = api.post(
            f"{base}/members", json={"user_id": user.id, "role": role}, headers=admin.headers
        )
        assert r.status_code == 201, r.text
    return {"base": base, "instructor": instructor, "students": students}


ARMS = [
    {
        "name": "hints-only",
        "policy": {
            "allowed_modes": ["hints"],
            "provider": "openai",
            "extra_context": "ARM-HINTS-ONLY",
        },
    },
    {"name": "all-modes", "policy": {"provider": "openai", "extra_context": "ARM-ALL-MODES"}},
]


def test_students_get_arms_and_the_tutor_runs_the_arm(
    api: httpx.Client, course, fake_llm, db
) -> None:
    base, instructor = course["base"], course["instructor"]
    student = course["students"][0]
    r = api.post(
        f"{base}/experiments", json={"name": "modes", "arms": ARMS}, headers=student.headers
    )
    assert r.status_code == 403  # students do not run experiments
    r = api.post(
        f"{base}/experiments", json={"name": "modes", "arms": ARMS}, headers=instructor.headers
    )
    assert r.status_code == 201, r.text
    experiment = r.json()
    assert [a["name"] for a in experiment["arms"]] == ["hints-only", "all-modes"]
    r = api.post(
        f"{base}/experiments", json={"name": "other", "arms": ARMS}, headers=instructor.headers
    )
    assert r.status_code == 409 and "still running" in r.json()["detail"]

    arms = {}
    for s in course["students"]:
        tag = uuid.uuid4().hex[:8]
        r = api.post(
            "/api/v1/tutor/requests",
            json={"prompt": f"How do I loop over a list? ({tag})", "mode": "hints"},
            headers=s.headers,
        )
        assert r.status_code in (200, 202), r.text
        done = wait_answer(api, s.headers, r.json()["id"])
        assert done["status"] == "done", done
        row = row_of(db, r.json()["id"])
        assert row["experiment_id"] == experiment["id"] and row["policy_version"] == 1
        arm = next(a["name"] for a in experiment["arms"] if a["id"] == row["arm_id"])
        arms[s.id] = arm
        sent = [q for q in fake_requests(fake_llm) if tag in str(q)]
        assert sent and f"ARM-{arm.upper()}" in str(sent[-1])  # the arm's context reached the LLM
    assert Counter(arms.values()) == {"hints-only": 2, "all-modes": 2}  # in balance

    in_hints_only = next(s for s in course["students"] if arms[s.id] == "hints-only")
    r = api.post(
        "/api/v1/tutor/requests",
        json={"prompt": "Explain recursion please", "mode": "explanatory"},
        headers=in_hints_only.headers,
    )
    assert r.status_code == 422 and "allowed: hints" in r.json()["detail"]

    listing = api.get(f"{base}/experiments", headers=instructor.headers).json()["data"]
    assert [a["students"] for a in listing[0]["arms"]] == [2, 2]
    r = api.post(f"{base}/experiments/{experiment['id']}/end", headers=instructor.headers)
    assert r.status_code == 200 and r.json()["ended_at"] is not None
    r = api.post(f"{base}/experiments/{experiment['id']}/end", headers=instructor.headers)
    assert r.status_code == 409
    r = api.post(
        "/api/v1/tutor/requests",
        json={
            "prompt": f"Explain recursion please ({uuid.uuid4().hex[:6]})",
            "mode": "explanatory",
        },
        headers=in_hints_only.headers,
    )
    assert r.status_code in (200, 202)  # back to the course's own policy


def test_arms_are_validated_with_readable_messages(api: httpx.Client, course) -> None:
    base, instructor = course["base"], course["instructor"]
    bad = [
        {"name": "one-arm", "arms": ARMS[:1]},
        {"name": "quota", "arms": [{"name": "a", "policy": {"quota_per_hour": 1}}, ARMS[1]]},
        {
            "name": "modes",
            "arms": [{"name": "a", "policy": {"allowed_modes": ["yelling"]}}, ARMS[1]],
        },
    ]
    for body in bad:
        r = api.post(f"{base}/experiments", json=body, headers=instructor.headers)
        assert r.status_code == 422, (body, r.text)
    r = api.post(
        f"{base}/experiments",
        json={"name": "dupes", "arms": [ARMS[0], ARMS[0]]},
        headers=instructor.headers,
    )
    assert r.status_code == 409 and "differ" in r.json()["detail"]


def test_a_preregistration_is_stored_and_returned_and_a_bad_one_is_a_422(
    api: httpx.Client, course
) -> None:
    base, instructor = course["base"], course["instructor"]
    plan = {
        "hypothesis": "Hints-only shortens time to fix",
        "primary_outcome": "time_to_fix",
        "planned_n": 40,
        "planned_end": "2027-03-01",
        "analysis_commit": "81ca796",
    }
    for bad in ({"planned_n": 1}, {"analysis_commit": "HEAD"}, {"planned_end": "soon"}):
        body = {"name": "pre", "arms": ARMS, "preregistration": {**plan, **bad}}
        r = api.post(f"{base}/experiments", json=body, headers=instructor.headers)
        assert r.status_code == 422, (bad, r.text)
    r = api.post(
        f"{base}/experiments",
        json={"name": "pre", "arms": ARMS, "preregistration": plan},
        headers=instructor.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["preregistration"] == {**plan, "secondary_outcomes": []}
    assert r.json()["registered_at"] is not None
