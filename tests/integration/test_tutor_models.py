"""Issue 21: the models a policy may choose come from TUTOR_MODELS (real API over HTTP)."""

from __future__ import annotations

import httpx

from tests.support.staff import staffed_course


def test_policy_accepts_only_an_enabled_model_and_keeps_staff_reading(
    api: httpx.Client, make_user, stack
):
    course = staffed_course(api, make_user)
    settings = stack.settings()
    r = api.get("/api/v1/tutor/models", headers=course.instructor.headers)
    assert r.status_code == 200, r.text
    models = r.json()["models"]
    assert [(m["provider"], m["model"]) for m in models] == settings.tutor_model_choices()
    assert all(m["label"] for m in models)
    enabled = models[0]
    staff = course.instructor.headers
    bad = {"provider": enabled["provider"], "model": "gpt-unlisted-9"}
    r = api.put(course.url("/policy"), json=bad, headers=staff)
    assert r.status_code == 422, r.text
    assert "gpt-unlisted-9" in r.json()["detail"] and "tutor/models" in r.json()["detail"]
    body = {
        "provider": enabled["provider"],
        "model": enabled["model"],
        "staff_reading": "aggregates",
        "quota_per_hour": 7,
        "allowed_modes": ["hints", "socratic"],
    }
    r = api.put(course.url("/policy"), json=body, headers=staff)
    assert r.status_code == 200, r.text
    policy = api.get(course.url("/policy"), headers=course.student.headers).json()
    assert policy["staff_reading"] == "aggregates" and policy["model"] == enabled["model"]
    assert policy["quota_per_hour"] == 7
    r = api.put(course.url("/policy"), json={"staff_reading": "some"}, headers=staff)
    assert r.status_code == 422, r.text
    # A course created with an unlisted model is refused the same way.
    r = api.post(
        "/api/v1/courses",
        json={"code": "BADMODEL1", "title": "x", "tutor_policy": bad},
        headers=course.admin.headers,
    )
    assert r.status_code == 422, r.text


def test_the_explanation_only_arm_names_no_model_and_is_always_allowed(
    api: httpx.Client, make_user
):
    """An arm without a language model (issue 29) is not gated by TUTOR_MODELS."""
    course = staffed_course(api, make_user)
    staff = course.instructor.headers
    r = api.put(course.url("/policy"), json={"provider": "explanation"}, headers=staff)
    assert r.status_code == 200, r.text
    r = api.post(
        course.url("/experiments"),
        json={
            "name": "enhanced-errors",
            "arms": [
                {"name": "llm", "policy": {}},
                {"name": "explained", "policy": {"provider": "explanation"}},
            ],
        },
        headers=staff,
    )
    assert r.status_code == 201, r.text
    arms = {a["name"]: a["policy"] for a in r.json()["arms"]}
    assert arms["explained"]["provider"] == "explanation"


def test_a_course_sets_its_leak_threshold_and_nonsense_is_a_422(api: httpx.Client, make_user):
    course = staffed_course(api, make_user)
    staff = course.instructor.headers
    for bad in (0, 1.5, -0.1, True, "high"):
        r = api.put(course.url("/policy"), json={"leak_threshold": bad}, headers=staff)
        assert r.status_code == 422, (bad, r.text)
        assert "leak_threshold" in r.text
    r = api.put(course.url("/policy"), json={"leak_threshold": 0.25}, headers=staff)
    assert r.status_code == 200, r.text
    policy = api.get(course.url("/policy"), headers=staff).json()
    assert policy["leak_threshold"] == 0.25
