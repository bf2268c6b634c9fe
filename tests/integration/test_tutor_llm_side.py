"""The LLM's side of every turn: what the worker sent, how, and what the model wrote, kept
on the interaction beside what the student saw (issue 26), through the real SDK path."""

from __future__ import annotations

import hashlib
import json
import uuid

from tests.fakes.openai_server import SYSTEM_FINGERPRINT
from tests.support.api import REQUESTS, fake_requests, wait_answer
from tests.support.db import row_of
from tests.support.factories import make_course

CODE = "\n".join(f"best_{i} = max(xs[:{i + 1}])" for i in range(10))
REPLY = f"Here you go.\n\n```python\n{CODE}\n```\n"


def test_the_row_keeps_what_was_sent_and_what_the_model_wrote(
    api, make_user, db, fake_llm, fake_llm_control
) -> None:
    fake_llm_control(reply=REPLY, served_model="fake-model-2026-01-01", clear=True)
    student = make_user()
    course = make_course(db, {"provider": "openai"}, [(student.id, "student")])
    question = f"How do I find the largest item? {uuid.uuid4().hex}"
    r = api.post(
        REQUESTS,
        json={"prompt": question, "mode": "hints", "course_id": course},
        headers=student.headers,
    )
    assert r.status_code == 202, r.text
    body = wait_answer(api, student.headers, r.json()["id"])
    assert body["status"] == "done" and body["guardrail"] == "rewritten", body

    (sent,) = fake_requests(fake_llm)
    row = row_of(db, r.json()["id"])
    assert row["messages"] == sent["body"]["messages"]
    canonical = json.dumps(
        sent["body"]["messages"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert row["messages_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert row["decoding"] == {"max_tokens": sent["body"]["max_tokens"]} != {"max_tokens": None}
    assert "temperature" not in sent["body"] and "seed" not in sent["body"]  # unset: not sent
    assert row["response_id"].startswith("chatcmpl-")
    assert row["system_fingerprint"] == SYSTEM_FINGERPRINT
    assert row["model_returned"] == "fake-model-2026-01-01"
    assert row["raw_answer"] == REPLY  # as the model wrote it, code and all
    assert CODE not in row["answer"] and row["answer"] == body["answer"]  # as the student saw


def test_a_cache_hit_made_no_call_and_claims_none(
    api, make_user, db, fake_llm, fake_llm_control
) -> None:
    fake_llm_control(clear=True)
    student = make_user()
    course = make_course(db, {"provider": "openai"}, [(student.id, "student")])
    payload = {
        "prompt": f"What is a list? {uuid.uuid4().hex}",
        "mode": "hints",
        "course_id": course,
    }
    first = api.post(REQUESTS, json=payload, headers=student.headers)
    assert wait_answer(api, student.headers, first.json()["id"])["status"] == "done"
    again = api.post(REQUESTS, json=payload, headers=student.headers)
    assert again.status_code == 200 and again.json()["cache_hit"] is True
    hit = row_of(db, again.json()["id"])
    assert row_of(db, first.json()["id"])["response_id"] is not None
    assert hit["response_id"] is None and hit["messages_sha256"] is None
    assert hit["raw_answer"] is None and len(fake_requests(fake_llm)) == 1
