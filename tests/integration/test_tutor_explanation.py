"""The context item `explanation` through the API: accepted, bounded, stored with the question."""

from __future__ import annotations

import uuid

from tests.support.api import REQUESTS, wait_answer
from tests.support.db import row_of
from tests.support.factories import make_course

EXPLANATION = (
    "Error: IndexError: list index out of range\n"
    "Line 2: print(scores[3])\n"
    "Cause: You have tried to get the item with index `3` of `scores`, a `list` of length `3`.\n"
    "Value: scores = [1, 2, 3]"
)


def test_the_explanation_is_stored_with_the_interactions_context(api, make_user, db) -> None:
    student = make_user()
    context = {
        "code": "scores = [1, 2, 3]\nprint(scores[3])",
        "error": "IndexError: list index out of range",
        "explanation": EXPLANATION,
    }
    r = api.post(
        REQUESTS,
        json={"prompt": f"why? {uuid.uuid4().hex[:6]}", "context": context},
        headers=student.headers,
    )
    assert r.status_code == 202, r.text
    body = wait_answer(api, student.headers, r.json()["id"])
    assert body["status"] == "done", body
    assert row_of(db, body["id"])["context"] == context


def test_an_oversized_explanation_is_a_readable_422(api, make_user) -> None:
    student = make_user()
    r = api.post(
        REQUESTS,
        json={"prompt": "why?", "context": {"explanation": "x" * 50_000}},
        headers=student.headers,
    )
    assert r.status_code == 422, r.text
    assert "explanation" in r.text


def test_the_explanation_only_arm_answers_with_the_facts(api, make_user, db) -> None:
    student = make_user()
    course = make_course(db, {"provider": "explanation"}, [(student.id, "student")])
    context = {
        "code": "scores = [1, 2, 3]\nprint(scores[3])",
        "error": "IndexError: list index out of range",
        "explanation": EXPLANATION,
    }
    r = api.post(
        REQUESTS,
        json={"prompt": f"why? {uuid.uuid4().hex[:6]}", "course_id": course, "context": context},
        headers=student.headers,
    )
    assert r.status_code == 202, r.text
    body = wait_answer(api, student.headers, r.json()["id"])
    assert body["status"] == "done", body
    assert body["provider"] == "explanation" and body["model"] == "explanation-only-1"
    assert "index `3` of `scores`" in body["answer"] and "line 2" in body["answer"]
    row = row_of(db, body["id"])
    assert row["prompt_tokens"] == 0 and row["completion_tokens"] == 0
    assert "no language model" in row["guardrail_detail"]["provider_metadata"]["note"]
