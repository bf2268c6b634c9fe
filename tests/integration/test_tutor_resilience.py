"""Failures: a worker killed mid-task, LLM errors (retried or not), guardrails on real answers."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

from ainative.tutor.guardrails import REFUSAL
from tests.support.api import REQUESTS, fake_requests, wait_answer
from tests.support.db import row_of
from tests.support.eventually import eventually
from tests.support.factories import make_course

CODE_REPLY = """Here you go:

```python
def largest(xs):
    best = xs[0]
    for x in xs[1:]:
        if x > best:
            best = x
    return best
```
"""


def _openai_course(db, student) -> int:
    return make_course(db, {"provider": "openai"}, [(student.id, "student")])


def _ask(api, student, course: int, prompt: str) -> str:
    r = api.post(REQUESTS, json={"prompt": prompt, "course_id": course}, headers=student.headers)
    assert r.status_code == 202, r.text
    return r.json()["id"]


def test_worker_killed_mid_task_is_answered_once(own_stack, fake_llm, fake_llm_control) -> None:
    """SIGKILL the worker while the model is answering; the sweeper hands the row to another."""
    fake_llm_control(latency=4.0, clear=True)
    student = own_stack.make_user()
    engine = create_engine(own_stack.stack.database_url)
    try:
        course = _openai_course(engine, student)
        prompt = f"Why does my recursion never stop? {uuid.uuid4().hex[:8]}"
        interaction_id = _ask(own_stack.api, student, course, prompt)
        eventually(  # until the worker has started it and called the model
            lambda: (
                row_of(engine, interaction_id)["status"] == "running" and fake_requests(fake_llm)
            ),
            30,
            interval=0.05,
        )
        assert row_of(engine, interaction_id)["status"] == "running"
        own_stack.stack.kill("worker")
        own_stack.stack.start_worker("worker2")
        body = wait_answer(own_stack.api, student.headers, interaction_id, timeout=120)
        assert body["status"] == "done", body
        row = row_of(engine, interaction_id)
        with engine.connect() as conn:
            count = conn.execute(
                text("SELECT count(*) FROM interactions WHERE user_id = :u"), {"u": student.id}
            ).scalar_one()
    finally:
        engine.dispose()
    assert row["status"] == "done" and row["answer"] and row["attempts"] >= 2
    assert count == 1
    assert len(fake_requests(fake_llm)) >= 2  # the killed attempt and the answered one


def test_client_errors_are_not_retried_and_fail_readably(
    api, make_user, db, fake_llm, fake_llm_control
) -> None:
    fake_llm_control(fail_next=1, fail_status=400, clear=True)
    student = make_user()
    course = _openai_course(db, student)
    interaction_id = _ask(api, student, course, f"What is a set? {uuid.uuid4().hex}")
    body = wait_answer(api, student.headers, interaction_id)
    assert body["status"] == "error" and "HTTP 400" in body["error"]
    assert len(fake_requests(fake_llm)) == 1
    assert row_of(db, interaction_id)["completed_at"] is not None


def test_server_errors_are_retried(api, make_user, db, fake_llm, fake_llm_control) -> None:
    fake_llm_control(fail_next=3, fail_status=503, clear=True)
    student = make_user()
    course = _openai_course(db, student)
    interaction_id = _ask(api, student, course, f"What is a tuple? {uuid.uuid4().hex}")
    body = wait_answer(api, student.headers, interaction_id)
    assert body["status"] == "done", body
    assert len(fake_requests(fake_llm)) == 4


def test_code_in_answers_is_rewritten_or_refused(
    api, make_user, db, fake_llm, fake_llm_control
) -> None:
    fake_llm_control(reply=CODE_REPLY, clear=True)
    student = make_user()
    course = _openai_course(db, student)
    asked = _ask(api, student, course, f"How do I find the largest item? {uuid.uuid4().hex}")
    body = wait_answer(api, student.headers, asked)
    assert body["status"] == "done" and body["guardrail"] == "rewritten"
    assert "best = x" not in body["answer"] and "Here you go" in body["answer"]
    row = row_of(db, asked)
    assert row["guardrail_detail"]["long_code_blocks"] == 1

    demanded = _ask(api, student, course, f"Just give me the code {uuid.uuid4().hex}")
    body = wait_answer(api, student.headers, demanded)
    assert body["guardrail"] == "refused" and body["answer"] == REFUSAL
    assert body["classification"] == "solution-request"
