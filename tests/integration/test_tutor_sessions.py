"""A tutor session is a conversation, and every question belongs to the student's course.

On the real stack: the follow-up's LLM request (the fake LLM's request log) carries the
earlier turns, a new session starts empty, the character budget drops the oldest turns,
later turns never touch the response cache, and the course policy applies to a student
who leaves `course_id` out.
"""

from __future__ import annotations

import uuid

import httpx

from ainative.config import get_settings
from ainative.tutor.guardrails import REWRITE_NOTE
from tests.support.api import fake_requests, wait_answer
from tests.support.db import row_of
from tests.support.factories import make_course

REQUESTS = "/api/v1/tutor/requests"
SESSIONS = "/api/v1/tutor/sessions"
OPENAI = {"provider": "openai"}


def marker() -> str:
    return uuid.uuid4().hex[:10]


def new_session(api: httpx.Client, user, **body: object) -> dict:
    r = api.post(SESSIONS, json={"client": "notebook", **body}, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


def ask(api: httpx.Client, user, prompt: str, **body: object) -> httpx.Response:
    return api.post(REQUESTS, json={"prompt": prompt, **body}, headers=user.headers)


def ask_done(api: httpx.Client, user, prompt: str, **body: object) -> dict:
    r = ask(api, user, prompt, **body)
    assert r.status_code in (200, 202), r.text
    done = wait_answer(api, user.headers, r.json()["id"])
    assert done["status"] == "done", done
    return done


def llm_request_for(fake_llm, text: str) -> list[dict[str, str]]:
    """The messages of the one LLM request whose newest user message contains `text`."""
    found = [
        r["body"]["messages"]
        for r in fake_requests(fake_llm)
        if text in r["body"]["messages"][-1]["content"]
    ]
    assert len(found) == 1, f"{len(found)} LLM requests for {text!r}"
    return found[0]


def test_a_follow_up_carries_the_earlier_turn_as_rewritten(
    api, make_user, db, fake_llm, fake_llm_control
) -> None:
    student = make_user()
    course = make_course(db, OPENAI, [(student.id, "student")])
    session = new_session(api, student)  # no course_id: the student's only course
    assert session["course_id"] == course
    code = "\n".join(f"total_{i} = sum(xs[:{i}])" for i in range(10))
    fake_llm_control(reply=f"Start from the sum.\n\n```python\n{code}\n```\n")
    first_q, second_q = f"How do I sum a list? {marker()}", f"I tried that. {marker()}"

    first = ask_done(api, student, first_q, session_id=session["id"], notebook_path="lab1.ipynb")
    assert first["guardrail"] == "rewritten" and REWRITE_NOTE in first["answer"]
    fake_llm_control(reply="Good. What does it print now?")
    second = ask_done(api, student, second_q, session_id=session["id"], cell_id="c-2")

    messages = llm_request_for(fake_llm, second_q)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == first_q
    assert messages[2]["content"] == first["answer"]  # the rewritten answer, not the code
    assert "total_5" not in messages[2]["content"]
    assert (first["turn"], second["turn"]) == (1, 2)
    rows = [row_of(db, first["id"]), row_of(db, second["id"])]
    assert [r["turn"] for r in rows] == [1, 2]
    assert [r["course_id"] for r in rows] == [course, course]
    assert (rows[0]["notebook_path"], rows[1]["cell_id"]) == ("lab1.ipynb", "c-2")
    assert second["notebook_path"] is None and second["cell_id"] == "c-2"


def test_a_new_session_starts_without_history(api, make_user, db, fake_llm) -> None:
    student = make_user()
    make_course(db, OPENAI, [(student.id, "student")])
    older = new_session(api, student)["id"]
    ask_done(api, student, f"What is a loop? {marker()}", session_id=older)
    fresh_q = f"What is a dict? {marker()}"
    done = ask_done(api, student, fresh_q, session_id=new_session(api, student)["id"])
    assert done["turn"] == 1
    assert [m["role"] for m in llm_request_for(fake_llm, fresh_q)] == ["system", "user"]


def test_the_budget_drops_the_oldest_turns(api, make_user, db, fake_llm) -> None:
    settings = get_settings()
    budget = settings.history_max_chars
    size = budget // 2 + 200  # two such turns exceed the budget, one fits
    assert size < settings.max_prompt_chars
    student = make_user()
    make_course(db, OPENAI, [(student.id, "student")])
    session = new_session(api, student)["id"]
    first_q = f"first {marker()} " + "a" * size
    second_q = f"second {marker()} " + "b" * size
    third_q = f"third {marker()}"
    for prompt in (first_q, second_q, third_q):
        ask_done(api, student, prompt, session_id=session)

    messages = llm_request_for(fake_llm, third_q)
    sent = [m["content"] for m in messages[1:-1]]
    assert first_q not in sent and second_q in sent
    assert sum(len(m) for m in sent) <= budget


def test_later_turns_are_never_served_from_or_stored_in_the_cache(
    api, make_user, db, fake_llm
) -> None:
    student = make_user()
    make_course(db, OPENAI, [(student.id, "student")])
    cached_q = f"What is recursion? {marker()}"
    ask_done(api, student, cached_q)  # answered by the model: now in the cache

    session = new_session(api, student)["id"]
    opening = ask(api, student, cached_q, session_id=session)
    assert opening.status_code == 200 and opening.json()["cache_hit"] is True  # a first turn
    later = ask(api, student, cached_q, session_id=session)
    assert later.status_code == 202, later.text  # turn 2: queued for the model
    done = wait_answer(api, student.headers, later.json()["id"])
    assert done["cache_hit"] is False and done["turn"] == 2

    later_q = f"And what about loops? {marker()}"
    ask_done(api, student, later_q, session_id=session)
    alone = ask(api, student, later_q)  # a turn-3 answer was not stored in the cache
    assert alone.status_code == 202, alone.text
    assert wait_answer(api, student.headers, alone.json()["id"])["cache_hit"] is False


def test_course_policy_applies_without_course_id(api, make_user, db) -> None:
    blocked = make_user()
    course = make_course(db, {"quota_per_hour": 0}, [(blocked.id, "student")])
    r = ask(api, blocked, "What is a list?")
    assert r.status_code == 429, r.text

    hinted = make_user()
    course = make_course(db, {"allowed_modes": ["hints"]}, [(hinted.id, "student")])
    refused = ask(api, hinted, "What is a list?", mode="socratic")
    assert refused.status_code == 422 and "hints" in refused.json()["detail"]
    accepted = ask(api, hinted, f"What is a list? {marker()}", mode="hints")
    assert accepted.status_code == 202, accepted.text
    assert row_of(db, accepted.json()["id"])["course_id"] == course


def test_a_student_of_several_courses_is_asked_which(api, make_user, db) -> None:
    student = make_user()
    first = make_course(db, {}, [(student.id, "student")])
    second = make_course(db, {}, [(student.id, "student")])
    r = ask(api, student, "What is a list?")
    assert r.status_code == 422, r.text
    assert "several courses" in r.json()["detail"] and str(second) in r.json()["detail"]
    assert {c["id"] for c in r.json()["courses"]} == {first, second}
    s = api.post(SESSIONS, json={}, headers=student.headers)
    assert s.status_code == 422 and {c["id"] for c in s.json()["courses"]} == {first, second}

    chosen = ask(api, student, f"What is a list? {marker()}", course_id=second)
    assert chosen.status_code == 202, chosen.text
    assert row_of(db, chosen.json()["id"])["course_id"] == second
    other = make_course(db, {}, [])
    stranger = ask(api, student, "What is a list?", course_id=other)
    assert stranger.status_code == 404


def test_a_question_inherits_its_sessions_course(api, make_user, db) -> None:
    student = make_user()
    first = make_course(db, {}, [(student.id, "student")])
    second = make_course(db, {}, [(student.id, "student")])
    session = new_session(api, student, course_id=first)
    assert session["course_id"] == first

    r = ask(api, student, f"What is a set? {marker()}", session_id=session["id"])
    assert r.status_code == 202, r.text
    assert row_of(db, r.json()["id"])["course_id"] == first
    conflict = ask(api, student, "What is a set?", session_id=session["id"], course_id=second)
    assert conflict.status_code == 422 and "does not match" in conflict.json()["detail"]
    theirs = new_session(api, make_user())
    foreign = ask(api, student, "What is a set?", session_id=theirs["id"])
    assert foreign.status_code == 404


def test_turns_are_numbered_within_their_session(api, make_user, db) -> None:
    student = make_user()
    session = new_session(api, student)
    assert session["course_id"] is None  # no course: no course policy
    ids = [
        ask(api, student, f"Question {i} {marker()}", session_id=session["id"]).json()["id"]
        for i in range(3)
    ]
    assert [row_of(db, i)["turn"] for i in ids] == [1, 2, 3]
    assert row_of(db, ids[0])["course_id"] is None
    alone = ask(api, student, f"Question {marker()}")
    assert row_of(db, alone.json()["id"])["turn"] == 1


def test_events_are_bound_to_the_students_course(api, make_user, db) -> None:
    student = make_user()
    course = make_course(db, {}, [(student.id, "student")])
    session = new_session(api, student)
    event = {
        "type": "cell.executed",
        "occurred_at": "2026-01-05T10:00:00Z",
        "session_id": session["id"],
        "notebook_path": "week1/lab.ipynb",
        "cell_id": "a1b2",
        "payload": {"code": "print(1)", "success": True},
    }
    r = api.post("/api/v1/events/batch", json={"events": [event]}, headers=student.headers)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    with db.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT course_id, notebook_path, cell_id FROM events "
            f"WHERE user_id = {student.id} AND event_type = 'cell.executed'"
        ).one()
    assert tuple(stored) == (course, "week1/lab.ipynb", "a1b2")

    make_course(db, {}, [(student.id, "student")])  # now in two courses
    loose = {k: v for k, v in event.items() if k != "session_id"}
    r = api.post("/api/v1/events/batch", json={"events": [loose]}, headers=student.headers)
    assert r.status_code == 422 and "several courses" in r.json()["detail"]
    r = api.post("/api/v1/events/batch", json={"events": [event]}, headers=student.headers)
    assert r.status_code == 200, r.text  # the session's course decides
    bad = {**event, "cell_id": "<script>"}
    r = api.post("/api/v1/events/batch", json={"events": [bad]}, headers=student.headers)
    assert r.status_code == 422 and "cell_id" in r.json()["detail"]


def test_my_courses_lists_only_the_callers_own(api, make_user, db) -> None:
    admin = make_user(roles=("student", "admin"))
    own = make_course(db, {}, [(admin.id, "student")])
    make_course(db, {}, [])  # a course the admin does not belong to
    everything = api.get("/api/v1/courses", headers=admin.headers).json()["data"]
    mine = api.get("/api/v1/courses", params={"mine": True}, headers=admin.headers).json()
    assert len(everything) > 1 and [c["id"] for c in mine["data"]] == [own]
    assert mine["data"][0]["code"] and mine["data"][0]["title"] == "Test course"


def test_the_offline_tutor_answers_a_follow_up_in_its_dialogue(api, make_user) -> None:
    student = make_user()  # no course: the default provider, the offline tutor
    session = new_session(api, student)["id"]
    first_q = f"Why does my loop stop early? {marker()}"
    first = ask_done(api, student, first_q, session_id=session)
    assert first["provider"] == "offline" and "You said before" not in first["answer"]
    second = ask_done(api, student, f"It prints 4 now {marker()}", session_id=session)
    assert f"You said before: “{first_q}”" in second["answer"]
    assert "Step 2 of" in second["answer"] and second["cache_hit"] is False


def test_two_questions_at_once_in_one_session_are_both_stored(api, make_user, db) -> None:
    from concurrent.futures import ThreadPoolExecutor

    student = make_user()
    session = new_session(api, student)["id"]
    with ThreadPoolExecutor(2) as pool:
        replies = list(
            pool.map(lambda i: ask(api, student, f"Q{i} {marker()}", session_id=session), (1, 2))
        )
    assert [r.status_code for r in replies] == [202, 202], [r.text for r in replies]
    turns = sorted(row_of(db, r.json()["id"])["turn"] for r in replies)
    assert turns in ([1, 2], [1, 1])  # a race may share a number; it never fails a question
    after = ask(api, student, f"Q3 {marker()}", session_id=session)
    assert row_of(db, after.json()["id"])["turn"] == turns[-1] + 1
