"""The worker's writes: conditional completion, and the sweeper's claim of stuck rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from ainative.tutor import trace
from ainative.tutor.repository import insert_interaction

VALUES = dict(
    answer="Which line surprises you?",
    provider="offline",
    model="m",
    prompt_version="v",
    prompt_tokens=3,
    completion_tokens=4,
    llm_ms=5,
    cache_hit=False,
    classification="debugging",
    guardrail="passed",
    guardrail_detail={},
)


@pytest.fixture
def engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = create_engine(fresh_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def user_id(engine: Engine) -> int:
    with engine.begin() as conn:
        return conn.execute(
            text(
                "INSERT INTO users (email, username, password_hash) "
                "VALUES ('s@example.org', 's', 'x') RETURNING id"
            )
        ).scalar_one()


def _new(engine: Engine, user_id: int, age_seconds: float = 0, attempts: int = 0, status="queued"):
    with engine.begin() as conn:
        row = insert_interaction(conn, user_id=user_id, mode="socratic", prompt="why?")
        conn.execute(
            text(
                "UPDATE interactions SET created_at = now() - make_interval(secs => :age), "
                "attempts = :attempts, status = :status WHERE id = :id"
            ),
            {"age": age_seconds, "attempts": attempts, "status": status, "id": row["id"]},
        )
    return str(row["id"])


def _row(engine: Engine, interaction_id: str) -> dict:
    with engine.connect() as conn:
        return dict(
            conn.execute(text("SELECT * FROM interactions WHERE id = :id"), {"id": interaction_id})
            .mappings()
            .one()
        )


def test_start_complete_is_conditional(engine: Engine, user_id: int) -> None:
    interaction_id = _new(engine, user_id)
    with engine.begin() as conn:
        started = trace.start_attempt(conn, interaction_id)
    assert started["status"] == "running" and started["attempts"] == 1
    assert started["queue_ms"] is not None and started["policy"] == {}  # no course: no policy
    with engine.begin() as conn:
        assert trace.complete(conn, interaction_id, **VALUES) is not None
    with engine.begin() as conn:
        assert trace.complete(conn, interaction_id, **{**VALUES, "answer": "other"}) is None
        assert trace.start_attempt(conn, interaction_id) is None  # done: nothing to do
        assert trace.fail(conn, interaction_id, "late failure") is False
    row = _row(engine, interaction_id)
    assert row["answer"] == VALUES["answer"] and row["status"] == "done" and row["error"] is None
    assert row["total_ms"] is not None and row["completed_at"] is not None
    with engine.begin() as conn:
        assert trace.start_attempt(conn, str(uuid.uuid4())) is None


def test_a_row_that_ended_in_error_gets_no_second_final_write(engine: Engine, user_id: int) -> None:
    # The sweeper gave up on a slow attempt, which then finishes: the student keeps the error.
    interaction_id = _new(engine, user_id, age_seconds=60, attempts=5, status="running")
    with engine.begin() as conn:
        assert trace.sweep(conn, stale_seconds=30, max_attempts=5, batch=100)[1] == [interaction_id]
        assert trace.complete(conn, interaction_id, **VALUES) is None
        assert trace.fail(conn, interaction_id, "late failure") is False
    row = _row(engine, interaction_id)
    assert row["status"] == "error" and "5 attempts" in row["error"] and row["answer"] is None


def test_a_renewed_attempt_is_not_swept(engine: Engine, user_id: int) -> None:
    # A slow attempt whose worker renews its lease (worker/lease.py) stays with that worker.
    slow = _new(engine, user_id, age_seconds=60, attempts=1, status="running")
    queued = _new(engine, user_id, age_seconds=60)
    with engine.begin() as conn:
        trace.renew(conn, [slow, queued])  # only running rows hold a lease
        assert trace.sweep(conn, stale_seconds=30, max_attempts=5, batch=100) == ([queued], [])
    assert _row(engine, slow)["status"] == "running" and _row(engine, slow)["attempts"] == 1


def test_sweep_requeues_stale_rows_and_gives_up_after_max_attempts(
    engine: Engine, user_id: int
) -> None:
    fresh = _new(engine, user_id, age_seconds=1)
    lost = _new(engine, user_id, age_seconds=60)
    crashed = _new(engine, user_id, age_seconds=60, attempts=1, status="running")
    hopeless = _new(engine, user_id, age_seconds=60, attempts=5, status="running")
    finished = _new(engine, user_id, age_seconds=60, status="done")
    with engine.begin() as conn:
        requeue, failed = trace.sweep(conn, stale_seconds=30, max_attempts=5, batch=100)
    assert sorted(requeue) == sorted([lost, crashed]) and failed == [hopeless]
    assert _row(engine, lost)["attempts"] == 1  # a lost delivery counts as an attempt
    assert _row(engine, crashed)["attempts"] == 1 and _row(engine, crashed)["status"] == "queued"
    assert (
        _row(engine, hopeless)["status"] == "error"
        and "5 attempts" in _row(engine, hopeless)["error"]
    )
    assert _row(engine, fresh)["status"] == "queued" and _row(engine, finished)["status"] == "done"
    with engine.begin() as conn:  # bumped: the next pass leaves them alone
        assert trace.sweep(conn, stale_seconds=30, max_attempts=5, batch=100) == ([], [])


def test_concurrent_sweepers_never_claim_the_same_row(engine: Engine, user_id: int) -> None:
    ids = {_new(engine, user_id, age_seconds=60) for _ in range(4)}
    with engine.connect() as first, engine.connect() as second:
        tx1 = first.begin()
        got1, _ = trace.sweep(first, stale_seconds=30, max_attempts=5, batch=2)
        tx2 = second.begin()
        got2, _ = trace.sweep(second, stale_seconds=30, max_attempts=5, batch=100)
        tx2.commit()
        tx1.commit()
    assert len(got1) == 2 and set(got1).isdisjoint(got2) and set(got1) | set(got2) == ids
