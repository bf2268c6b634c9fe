"""The leak numbers of a course's assignments on the real stack (issue 22): the fake LLM
answers once with the reference renamed (a leak that passes the hidden tests) and once
with a hint; an AI window `off` refuses a third question. GET assignment-stats counts
exactly those, per assignment, per experiment arm and per ISO week; assistants read the
numbers (never the reference); students and other courses' instructors are refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.integration.test_assignment_leak import HINT, NOTEBOOK, REFERENCE, RENAMED, TESTS
from tests.support.api import REQUESTS, fake_requests, wait_answer
from tests.support.factories import make_course


def _ask(api, student, course: int, notebook: str):
    payload = {
        "prompt": f"How do I add up the even numbers? ({uuid.uuid4().hex[:6]})",
        "mode": "hints",
        "course_id": course,
        "notebook_path": notebook,
        "cell_id": "cell-1",
    }
    return api.post(REQUESTS, json=payload, headers=student.headers)


def _answered(api, student, course: int, notebook: str) -> dict:
    r = _ask(api, student, course, notebook)
    assert r.status_code == 202, r.text
    body = wait_answer(api, student.headers, str(r.json()["id"]))
    assert body["status"] == "done", body
    return body


def test_stats_count_leaks_tests_and_refusals_per_arm_and_week(
    api, make_user, db, fake_llm, fake_llm_control
) -> None:
    instructor, assistant, student = make_user(roles=("instructor",)), make_user(), make_user()
    outsider = make_user(roles=("instructor",))
    members = [(instructor.id, "instructor"), (assistant.id, "assistant"), (student.id, "student")]
    course = make_course(db, {"provider": "openai"}, members)
    other_course = make_course(db, {}, [(outsider.id, "instructor")])
    base = f"/api/v1/courses/{course}"
    arms = [{"name": n, "policy": {"provider": "openai"}} for n in ("control", "strict")]
    r = api.post(
        f"{base}/experiments", json={"name": "Leak study", "arms": arms}, headers=instructor.headers
    )
    assert r.status_code == 201, r.text
    experiment = r.json()["id"]
    r = api.post(
        f"{base}/assignments",
        json={
            "title": "Sum of evens",
            "notebook_path": NOTEBOOK,
            "reference_solution": REFERENCE,
            "hidden_tests": TESTS,
        },
        headers=instructor.headers,
    )
    assert r.status_code == 201, r.text
    assignment = r.json()["id"]
    r = api.post(
        f"/api/v1/courses/{other_course}/assignments",
        json={"title": "Elsewhere", "notebook_path": "x.ipynb", "reference_solution": "x = 1"},
        headers=outsider.headers,
    )
    assert r.status_code == 201, r.text
    foreign_assignment = r.json()["id"]

    fake_llm_control(clear=True, reply=RENAMED)
    assert _answered(api, student, course, NOTEBOOK)["guardrail"] == "rewritten"
    fake_llm_control(reply=HINT)
    assert _answered(api, student, course, NOTEBOOK)["answer"] == HINT
    _answered(api, student, course, "week4/other.ipynb")  # no assignment's: not counted
    asked = len(fake_requests(fake_llm))

    ends = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    r = api.post(
        f"{base}/ai-windows",
        json={"mode": "off", "assignment_id": assignment, "ends_at": ends.isoformat()},
        headers=instructor.headers,
    )
    assert r.status_code == 201, r.text
    window = r.json()["id"]
    refused = _ask(api, student, course, NOTEBOOK)
    assert refused.status_code == 403 and refused.json()["ai_window"] == "off", refused.text
    assert len(fake_requests(fake_llm)) == asked  # refused without the LLM

    with db.connect() as conn:
        arm = conn.execute(
            text(
                "SELECT a.id, a.name FROM experiment_assignments x"
                " JOIN experiment_arms a ON a.id = x.arm_id"
                " WHERE x.experiment_id = :e AND x.user_id = :u"
            ),
            {"e": experiment, "u": student.id},
        ).one()
    week = datetime.now(UTC).strftime("%G-W%V")
    counts = {"answers_scored": 2, "leaked": 1, "passed_tests": 1, "refused_by_window": 1}

    r = api.get(f"{base}/assignment-stats", headers=instructor.headers)
    assert r.status_code == 200, r.text
    stats = r.json()
    assert [a["assignment_id"] for a in stats["data"]] == [assignment]
    item = stats["data"][0]
    assert item["title"] == "Sum of evens" and item["notebook_path"] == NOTEBOOK
    assert item["totals"] == {**counts, "leak_rate": 0.5}
    assert item["by_arm"] == [
        {**counts, "leak_rate": 0.5, "experiment_id": experiment, "arm_id": arm[0], "arm": arm[1]}
    ]
    assert item["by_week"] == [{**counts, "leak_rate": 0.5, "week": week}]
    assert item["window"]["mode"] == "off" and item["window"]["window_id"] == window
    assert item["window"]["course_wide"] is False
    assert datetime.fromisoformat(item["window"]["until"]) == ends
    other = stats["other_notebooks"]
    assert other["window"]["mode"] == "normal" and other["window"]["until"] is None
    assert other["totals"]["refused_by_window"] == 0 and other["totals"]["answers_scored"] == 0

    one = api.get(
        f"{base}/assignment-stats", params={"assignment_id": assignment}, headers=assistant.headers
    )
    assert one.status_code == 200, one.text
    assert one.json()["data"][0]["totals"] == {**counts, "leak_rate": 0.5}
    assert one.json()["other_notebooks"] is None
    assert "total += n" not in one.text and "sum_even([1, 2, 3, 4])" not in one.text
    seen = api.get(f"{base}/assignments/{assignment}", headers=assistant.headers).json()
    assert seen["reference_solution"] is None and seen["hidden_tests"] is None
    assert seen["answers_scored"] == 2 and seen["leaked"] == 1

    # Refused: a student of the course, another course's instructor, another course's id.
    assert api.get(f"{base}/assignment-stats", headers=student.headers).status_code == 403
    assert api.get(f"{base}/assignment-stats", headers=outsider.headers).status_code in (403, 404)
    r = api.get(
        f"{base}/assignment-stats",
        params={"assignment_id": foreign_assignment},
        headers=instructor.headers,
    )
    assert r.status_code == 404, r.text
    r = api.get(f"{base}/assignment-stats", params={"assignment_id": 0}, headers=instructor.headers)
    assert r.status_code == 422, r.text
