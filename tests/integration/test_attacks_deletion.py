"""Issue 20.5: what a deleted account leaves behind, attacked through the real API.

A new account under a deleted account's name must not inherit anything: the name is
refused for good; the deleted account's cached answers (keyed, like the worker keys
them, by the policy version and experiment arm each question was asked under) and its
answer streams are gone from Redis, read directly. The hub part (tests/e2e/
test_attacks_deletion_hub.py with a real hub) is queued when the hub is out of reach,
and the deletion itself still succeeds.
"""

from __future__ import annotations

import uuid

import httpx
import redis
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ainative.course.courses import get_course, set_policy
from ainative.tutor.cache import PREFIX
from ainative.tutor.streaming.entries import stream_key
from tests.stack import Stack
from tests.support.api import PASSWORD, ask, login, wait_answer
from tests.support.factories import grant_roles, make_course, make_experiment

ARMS = [("brief", {"prompt_variant": "brief"}), ("strict", {"guardrail": "strict"})]


def _delete_account(api: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    return api.delete("/api/v1/me/data", headers=headers, params={"keep_account": "false"})


def _cache_keys(client: redis.Redis) -> set[bytes]:
    return set(client.scan_iter(match=f"{PREFIX}*", count=1000))


def test_attack_a_deleted_username_cannot_be_registered_again(
    api: httpx.Client, make_user, db: Engine
) -> None:
    victim = make_user()
    assert _delete_account(api, victim.headers).status_code == 200
    for name in (victim.username, victim.username.upper()):
        r = api.post(
            "/api/v1/auth/register",
            json={"username": name, "email": f"{uuid.uuid4().hex[:8]}@x.org", "password": PASSWORD},
        )
        assert r.status_code == 409, r.text
        assert "deleted account" in r.json()["detail"]
    admin = make_user()
    grant_roles(db, admin.id, ("admin",))
    token = login(api, admin.username, admin.password)["access_token"]
    r = api.post(
        "/api/v1/users",
        headers={"Authorization": f"Bearer {token}"},
        json={"username": victim.username, "email": "again@example.org", "password": PASSWORD},
    )
    assert r.status_code == 409, r.text
    with db.connect() as conn:  # the table names no one: only keyed hashes
        hashes = conn.execute(text("SELECT name_hash FROM deleted_usernames")).scalars().all()
    assert hashes and not any(victim.username.lower() in h for h in hashes)


def test_attack_cached_answers_and_streams_of_a_deleted_account_are_gone(
    api: httpx.Client, make_user, db: Engine, stack: Stack
) -> None:
    student = make_user()
    course_id = make_course(db, {"extra_context": "version one notes"}, [(student.id, "student")])
    make_experiment(db, course_id, ARMS)
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    before = _cache_keys(client)
    prompt = f"What does a deleted account leave in the cache? {uuid.uuid4().hex[:6]}"
    r = ask(api, student.headers, prompt, course_id=course_id)
    assert r.status_code == 202, r.text
    answered = wait_answer(api, student.headers, r.json()["id"], timeout=120)
    assert answered["status"] == "done" and answered["cache_hit"] is False
    stored = _cache_keys(client) - before
    assert len(stored) == 1, "the worker cached the first-turn answer"
    stream = stream_key(answered["id"])
    assert client.exists(stream), "the answer's stream is in Redis"
    # The instructor revises the policy afterwards: the question's key is of version one.
    with Session(db) as session:
        course = get_course(session, course_id=course_id)
        assert course is not None
        set_policy(session, course=course, policy={"extra_context": "version two notes"})
        session.commit()

    r = _delete_account(api, student.headers)
    assert r.status_code == 200, r.text
    assert r.json()["cached_answers"] == 1
    assert not any(client.exists(k) for k in stored), "the cached answer outlived the account"
    assert not client.exists(stream), "the answer's stream outlived the account"


def test_deleting_with_the_hub_out_of_reach_still_deletes_and_queues_the_hub_part(
    api: httpx.Client, make_user, db: Engine
) -> None:
    student = make_user()
    r = _delete_account(api, student.headers)  # the stack has no hub at HUB_SERVICE_API_URL
    assert r.status_code == 200 and r.json()["account_deleted"] is True, r.text
    with db.connect() as conn:
        row = conn.execute(
            text("SELECT attempts, last_error FROM hub_deletions WHERE hub_name = :n"),
            {"n": student.username.lower()},
        ).first()
        gone = conn.execute(text("SELECT 1 FROM users WHERE id = :i"), {"i": student.id}).first()
    assert gone is None
    assert row is not None and row.attempts >= 1 and row.last_error, row
