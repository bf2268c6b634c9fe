"""Finding 7: oversized bodies, event floods and piles of long-polls, against the real API.

The attacks: a stranger posting megabytes to the login route (declared, and chunked so
no Content-Length warns the server); a student flooding events/batch; a student opening
many long-polls at once to hold the API's connections and database checks.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import redis
from sqlalchemy import create_engine, text

from ainative.config import Settings
from tests.support.eventually import eventually

DEFAULTS = Settings()
MIB = 1024 * 1024


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


def test_attack_oversized_body_is_refused_413_before_parsing(api) -> None:
    too_big = DEFAULTS.max_body_bytes + 1
    declared = api.post(
        "/api/v1/auth/login",
        content=b"{" + b" " * too_big,
        headers={"Content-Type": "application/json"},
    )
    assert declared.status_code == 413, declared.text
    assert f"at most {DEFAULTS.max_body_bytes} bytes" in declared.json()["detail"]
    # No Content-Length: the body arrives chunked and is counted as it streams.
    chunked = api.post(
        "/api/v1/auth/login",
        content=_chunks(2 * DEFAULTS.max_body_bytes),
        headers={"Content-Type": "application/json"},
    )
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == 413, chunked.text
    assert api.get("/api/v1/health").status_code == 200


def test_attack_events_batch_has_its_own_larger_limit(api, make_user) -> None:
    student = make_user(consent=False)
    event = {"type": "cell.executed", "occurred_at": datetime.now(UTC).isoformat()}
    code = "x = 1\n" * 2000  # ~12 KiB per event, under the 16 KiB payload limit
    events = [{**event, "payload": {"code": code, "success": True}} for _ in range(120)]
    body = {"events": events}
    size = len(httpx.Request("POST", "http://x", json=body).content)
    assert DEFAULTS.max_body_bytes < size < DEFAULTS.max_events_body_bytes
    r = api.post("/api/v1/events/batch", json=body, headers=student.headers)
    assert r.status_code == 200, r.text
    huge = api.post(
        "/api/v1/events/batch",
        content=b" " * (DEFAULTS.max_events_body_bytes + 1),
        headers={**student.headers, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413, huge.text


def test_attack_event_flood_is_rate_limited_per_user(api, make_user) -> None:
    flooder, bystander = make_user(consent=False), make_user(consent=False)
    body = {"events": [{"type": "widget.opened", "occurred_at": datetime.now(UTC).isoformat()}]}
    limit = DEFAULTS.events_rate_limit
    # The window is a calendar minute: within 2 x limit + 1 batches one window holds limit + 1.
    refused = None
    for _ in range(2 * limit + 1):
        r = api.post("/api/v1/events/batch", json=body, headers=flooder.headers)
        if r.status_code == 429:
            refused = r
            break
        assert r.status_code == 200, r.text
    assert refused is not None, f"{2 * limit + 1} batches were all accepted"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "too many event batch" in refused.json()["detail"]
    ok = api.post("/api/v1/events/batch", json=body, headers=bystander.headers)
    assert ok.status_code == 200, ok.text


def _waiting_interaction(database_url: str, user_id: int) -> str:
    """A question no worker will answer during the test (the sweeper sees it as fresh)."""
    interaction_id = str(uuid.uuid4())
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO interactions (id, user_id, mode, prompt, status, created_at) "
                "VALUES (:id, :user, 'socratic', 'held open', 'queued', :future)"
            ),
            {
                "id": interaction_id,
                "user": user_id,
                "future": datetime.now(UTC) + timedelta(hours=1),
            },
        )
    engine.dispose()
    return interaction_id


def test_attack_too_many_long_polls_get_429(api, make_user, stack) -> None:
    student, other = make_user(), make_user()
    limit = DEFAULTS.long_polls_per_user
    interaction = _waiting_interaction(stack.database_url, student.id)
    url = f"{stack.api_url}/api/v1/tutor/requests/{interaction}"
    statuses: list[int] = []

    def hold() -> None:
        r = httpx.get(url, params={"wait": 15}, headers=student.headers, timeout=60)
        statuses.append(r.status_code)

    slots = redis.Redis.from_url(stack.env["REDIS_URL"])
    key = f"ratelimit:waiting-requests:user:{student.id}"
    threads = [threading.Thread(target=hold) for _ in range(limit)]
    for t in threads:
        t.start()
    try:
        eventually(lambda: int(slots.get(key) or 0) >= limit, 60, interval=0.05)
        assert int(slots.get(key) or 0) == limit, "the long-polls never all started waiting"
        extra = api.get(url, params={"wait": 15}, headers=student.headers)
        assert extra.status_code == 429, extra.text
        assert "at most" in extra.json()["detail"]
        # Without wait it is a plain read, and another user's long-polls are their own.
        assert api.get(url, headers=student.headers).status_code == 200
        theirs = _waiting_interaction(stack.database_url, other.id)
        mine = api.get(
            f"/api/v1/tutor/requests/{theirs}", params={"wait": 0.2}, headers=other.headers
        )
        assert mine.status_code == 200, mine.text
        for t in threads:
            t.join(60)
        assert statuses == [200] * limit
        assert int(slots.get(key) or 0) == 0, "every slot is given back"
    finally:
        for t in threads:
            t.join(60)
        slots.close()
