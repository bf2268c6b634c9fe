"""Ask -> queue -> worker -> LLM -> trace -> long-poll, end to end on the real stack."""

from __future__ import annotations

import uuid

from ainative.tutor.modes import get_mode
from ainative.tutor.prompts import PROMPT_VERSION
from tests.support.api import REQUESTS, fake_requests, wait_answer
from tests.support.db import row_of
from tests.support.factories import make_course


def test_offline_ask_long_poll_answer_then_cache_hit(api, make_user, db) -> None:
    student = make_user()
    question = f"Why does my for loop skip the last element? ({uuid.uuid4().hex[:6]})"
    context = {"code": "for i in range(len(xs) - 1):\n    print(xs[i])"}
    r = api.post(
        REQUESTS,
        json={"prompt": question, "mode": "socratic", "context": context},
        headers=student.headers,
    )
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    interaction_id = r.json()["id"]

    body = wait_answer(api, student.headers, interaction_id)
    assert body["status"] == "done", body
    assert body["answer"] and body["cache_hit"] is False

    row = row_of(db, interaction_id)
    assert row["status"] == "done" and row["user_id"] == student.id
    assert row["provider"] == "offline" and row["prompt_version"] == PROMPT_VERSION
    assert row["queue_ms"] is not None and row["llm_ms"] is not None
    assert row["total_ms"] is not None and row["total_ms"] >= row["queue_ms"]
    assert row["prompt_tokens"] > 0 and row["completion_tokens"] > 0
    assert row["classification"] == "debugging" and row["guardrail"] == "passed"
    assert row["guardrail_detail"]["provider_metadata"]["kind"] == "rule-based offline tutor"
    assert row["attempts"] == 1 and row["completed_at"] is not None
    assert row["context"] == context

    again = api.post(
        REQUESTS,
        json={"prompt": question, "mode": "socratic", "context": context},
        headers=student.headers,
    )
    assert again.status_code == 200, again.text
    hit = again.json()
    assert hit["status"] == "done" and hit["cache_hit"] is True
    assert hit["answer"] == body["answer"] and hit["id"] != interaction_id
    hit_row = row_of(db, hit["id"])
    assert hit_row["cache_hit"] is True and hit_row["attempts"] == 0
    assert hit_row["total_ms"] is not None and hit_row["queue_ms"] == 0

    listed = api.get(REQUESTS, headers=student.headers).json()["items"]
    assert [i["id"] for i in listed] == [hit["id"], interaction_id]  # newest first


def test_openai_provider_through_the_fake_server(
    api, make_user, db, fake_llm, fake_llm_control
) -> None:
    fake_llm_control(clear=True)
    student = make_user()
    course = make_course(
        db, {"provider": "openai", "extra_context": "Week 2: lists"}, [(student.id, "student")]
    )
    question = f"How do I find the largest number in a list? ({uuid.uuid4().hex[:6]})"
    payload = {
        "prompt": question,
        "mode": "hints",
        "course_id": course,
        "context": {"error": "TypeError: 'int' object is not iterable"},
    }
    r = api.post(REQUESTS, json=payload, headers=student.headers)
    assert r.status_code == 202, r.text
    body = wait_answer(api, student.headers, r.json()["id"])
    assert body["status"] == "done", body
    assert body["provider"] == "openai" and body["model"] == "fake-model"

    received = fake_requests(fake_llm)
    assert len(received) == 1
    messages = received[0]["body"]["messages"]
    system = next(m["content"] for m in messages if m["role"] == "system")
    user_msg = next(m["content"] for m in messages if m["role"] == "user")
    assert get_mode("hints").instructions in system and "Week 2: lists" in system
    assert question in user_msg and "not iterable" in user_msg
    assert received[0]["authorization"] == "Bearer sk-fake-test-key"

    row = row_of(db, r.json()["id"])
    assert row["provider"] == "openai" and row["course_id"] == course
    assert row["prompt_tokens"] > 0 and row["completion_tokens"] > 0
    assert row["llm_ms"] is not None and row["classification"] == "debugging"

    again = api.post(REQUESTS, json=payload, headers=student.headers)
    assert again.status_code == 200 and again.json()["cache_hit"] is True
    assert len(fake_requests(fake_llm)) == 1  # answered without the queue or the model


def test_submit_takes_at_most_two_statements(make_user, db, stack) -> None:
    """Courses and session (one query) + INSERT on the hot path; counted on this engine."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from ainative.config import get_settings
    from ainative.db.engine import get_engine
    from api.main import create_app

    student = make_user()
    course = make_course(db, {"quota_per_hour": 50}, [(student.id, "student")])
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    with TestClient(create_app(get_settings())) as client:
        engine = get_engine()
        event.listen(engine, "before_cursor_execute", count)
        try:
            for course_id in (course, None):
                statements.clear()
                r = client.post(
                    REQUESTS,
                    json={"prompt": f"What is a list? {uuid.uuid4().hex}", "course_id": course_id},
                    headers=student.headers,
                )
                assert r.status_code == 202, r.text
                assert len(statements) == 2, statements
                assert "FROM memberships" in statements[0]
                assert "INSERT INTO interactions" in statements[-1]
        finally:
            event.remove(engine, "before_cursor_execute", count)


def test_long_poll_returns_unfinished_at_the_deadline(api, make_user, db, fake_llm_control) -> None:
    fake_llm_control(latency=3.0)
    student = make_user()
    course = make_course(db, {"provider": "openai"}, [(student.id, "student")])
    r = api.post(
        REQUESTS,
        json={"prompt": f"What is a set? {uuid.uuid4().hex}", "course_id": course},
        headers=student.headers,
    )
    assert r.status_code == 202, r.text
    early = api.get(f"{REQUESTS}/{r.json()['id']}", params={"wait": 0.5}, headers=student.headers)
    assert early.status_code == 200 and early.json()["status"] in ("queued", "running")
    assert wait_answer(api, student.headers, r.json()["id"])["status"] == "done"


def test_long_poll_without_pubsub_falls_back_to_the_database(make_user, stack) -> None:
    """An API process whose subscription cannot connect still answers, by re-reading the DB."""
    import dataclasses

    from fastapi.testclient import TestClient

    from ainative.config import get_settings
    from ainative.runtime.devservices import free_port
    from ainative.tutor.streaming.notify import DoneNotifier
    from api.main import create_app

    student = make_user()
    with TestClient(create_app(get_settings())) as client:
        state = client.app.state.api
        cut_off = DoneNotifier(f"redis://127.0.0.1:{free_port()}/0")
        client.portal.call(cut_off.start)
        client.app.state.api = dataclasses.replace(state, notifier=cut_off)
        try:
            r = client.post(
                REQUESTS,
                json={"prompt": f"What is a dict? {uuid.uuid4().hex}"},
                headers=student.headers,
            )
            assert r.status_code == 202, r.text
            body = client.get(
                f"{REQUESTS}/{r.json()['id']}", params={"wait": 30}, headers=student.headers
            ).json()
            assert not cut_off.connected
        finally:
            client.portal.call(cut_off.stop)
            client.app.state.api = state
    assert body["status"] == "done"
