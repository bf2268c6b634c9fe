"""Issue 22 on the real stack (API, Celery worker, PostgreSQL, Redis; the fake LLM is the
only fake): a question from an assignment's notebook is tied to it, and the worker
leak-scores the answer against the assignment's reference solution before it is stored
and streamed. The reference never enters the prompt nor any reply to the student."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from tests.support.api import REQUESTS, fake_requests, wait_answer
from tests.support.db import row_of
from tests.support.factories import make_course

REFERENCE = (
    "def sum_even(numbers):\n    total = 0\n    for n in numbers:\n"
    "        if n % 2 == 0:\n            total += n\n    return total\n"
)
TESTS = "assert sum_even([1, 2, 3, 4]) == 6\nassert sum_even([]) == 0\n"
RENAMED = (
    "Here is one way:\n\n```python\ndef sum_even(values):\n    acc = 0\n"
    "    for v in values:\n        if v % 2 == 0:\n            acc += v\n    return acc\n```\n"
)
HINT = "Which numbers should count? What does `%` tell you about a number being even?"
NOTEBOOK = "week3/sum_even.ipynb"


def _assignment(db, course: int) -> int:
    with db.begin() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO assignments (course_id, title, notebook_path,"
                    " reference_solution, hidden_tests)"
                    " VALUES (:c, 'Sum of evens', :p, :r, :t) RETURNING id"
                ),
                {"c": course, "p": NOTEBOOK, "r": REFERENCE, "t": TESTS},
            ).scalar_one()
        )


def _ask(api, student, course: int, notebook: str) -> str:
    payload = {
        "prompt": f"How do I add up the even numbers? ({uuid.uuid4().hex[:6]})",
        "mode": "hints",
        "course_id": course,
        "notebook_path": notebook,
        "cell_id": "cell-1",
    }
    r = api.post(REQUESTS, json=payload, headers=student.headers)
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def test_a_leaked_solution_is_rewritten_and_a_hint_passes(
    api, make_user, db, fake_llm, fake_llm_control
) -> None:
    fake_llm_control(clear=True, reply=RENAMED)
    student = make_user()
    course = make_course(db, {"provider": "openai"}, [(student.id, "student")])
    assignment = _assignment(db, course)

    leaked_id = _ask(api, student, course, NOTEBOOK)
    body = wait_answer(api, student.headers, leaked_id)
    assert body["status"] == "done", body
    assert "acc += v" not in body["answer"] and body["guardrail"] == "rewritten"
    row = row_of(db, leaked_id)
    assert row["assignment_id"] == assignment
    assert row["raw_answer"] == RENAMED  # the model's side is kept for research
    assert row["leak"]["leak"] is True and row["leak"]["decision"] == "rewritten"
    assert row["leak_score"] >= 0.5 and row["leak"]["parts"]["tests"]["passed"] is True
    # What the stream showed (its reset/delta entries, then the final row): no leaked code.
    streamed = api.get(
        f"{REQUESTS}/{leaked_id}/stream",
        headers={**student.headers, "Accept": "text/event-stream"},
    )
    assert streamed.status_code == 200 and "event: final" in streamed.text
    assert "acc += v" not in streamed.text and "removed a code block" in streamed.text

    fake_llm_control(reply=HINT)
    hint_id = _ask(api, student, course, NOTEBOOK)
    body = wait_answer(api, student.headers, hint_id)
    assert body["answer"] == HINT and body["guardrail"] == "passed"
    row = row_of(db, hint_id)
    assert row["assignment_id"] == assignment and row["leak"]["leak"] is False

    other_id = _ask(api, student, course, "week4/other.ipynb")
    wait_answer(api, student.headers, other_id)
    assert row_of(db, other_id)["assignment_id"] is None

    # The reference solution and the hidden tests never reach the model or the student.
    for request in fake_requests(fake_llm):
        sent = str(request["body"]["messages"])
        assert "total += n" not in sent and "sum_even([1, 2, 3, 4])" not in sent
    for interaction in (leaked_id, hint_id):
        reply = api.get(f"{REQUESTS}/{interaction}", headers=student.headers).text
        assert "total += n" not in reply and "sum_even([1, 2, 3, 4])" not in reply


def test_a_window_off_refuses_that_notebook_without_the_llm(
    api, make_user, db, fake_llm, fake_llm_control
) -> None:
    fake_llm_control(clear=True, reply=HINT)
    student = make_user()
    course = make_course(db, {"provider": "openai"}, [(student.id, "student")])
    assignment = _assignment(db, course)
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ai_windows (course_id, assignment_id, mode, starts_at, ends_at)"
                " VALUES (:c, :a, 'off', now() - interval '1 hour', now() + interval '2 hours')"
            ),
            {"c": course, "a": assignment},
        )
    payload = {
        "prompt": f"Is my loop right? ({uuid.uuid4().hex[:6]})",
        "mode": "hints",
        "course_id": course,
        "notebook_path": NOTEBOOK,
    }
    r = api.post(REQUESTS, json=payload, headers=student.headers)
    assert r.status_code == 403, r.text
    assert "switched off for this notebook until" in r.json()["detail"]
    assert r.json()["ai_window"] == "off" and r.json()["until"]
    assert fake_requests(fake_llm) == []
    with db.connect() as conn:
        refused = conn.execute(
            text(
                "SELECT payload FROM events WHERE event_type = 'ai_window.refused' AND user_id = :u"
            ),
            {"u": student.id},
        ).scalar_one()
        stored = conn.execute(
            text("SELECT count(*) FROM interactions WHERE user_id = :u"), {"u": student.id}
        ).scalar_one()
    assert refused["notebook_path"] == NOTEBOOK and refused["ends_at"] is not None
    assert stored == 0

    other = _ask(api, student, course, "week4/other.ipynb")
    assert wait_answer(api, student.headers, other)["answer"] == HINT
    assert len(fake_requests(fake_llm)) == 1
