"""SQL the API runs on the tutoring trace: store and read interactions, rate, sessions, events.

Functions take a Connection so the caller decides the transaction: the submit hot path
runs on an autocommit connection (one round trip per statement), the other services in
one `engine.begin()`. The worker's writes (start an attempt, store the answer or the
failure, the sweeper's pass) live in ainative.tutor.trace.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, text

Row = dict[str, Any]

# The columns a reader of one interaction is shown (the API's InteractionPublic; a unit
# test keeps the two in step) and the access check needs (user_id). Not the LLM's side
# (messages, raw_answer, decoding) nor context or leak: their JSON would be parsed on
# every long-poll read and thrown away (get_interaction was 6.5 % of the API's samples).
READ_COLUMNS = (
    "id", "user_id", "status", "mode", "prompt", "answer", "error", "cache_hit",
    "classification", "guardrail", "provider", "model", "prompt_version", "prompt_tokens",
    "completion_tokens", "queue_ms", "llm_ms", "ttft_ms", "total_ms", "attempts",
    "course_id", "session_id", "client_request_id", "turn", "notebook_path", "cell_id",
    "helpful", "score", "created_at", "started_at", "completed_at",
)  # fmt: skip
_READ = ", ".join(READ_COLUMNS)


def _one(result: Any) -> Row | None:
    row = result.mappings().first()
    return dict(row) if row is not None else None


# `turn` numbers the question within its session: 1 + the session's highest turn so far,
# read in the same statement. Two questions racing in one session may get the same number
# (the statement takes no lock): we accept that rather than serialise a student's
# requests, since a duplicate turn only orders history by created_at as well; nothing is
# unique on (session_id, turn). `first_turn_only` stores the row only when it opens its
# session (or has none): a cached answer is never stored for a later turn.
INSERT_SQL = text(
    f"""
    WITH t AS (
        SELECT COALESCE(max(turn), 0) + 1 AS turn FROM interactions
        WHERE session_id = CAST(:session_id AS uuid))
    INSERT INTO interactions (
        id, user_id, session_id, course_id, client_request_id, turn, notebook_path, cell_id,
        policy_version, experiment_id, arm_id, assignment_id, ai_window, mode, prompt, context,
        status, cache_hit, answer, provider, model, prompt_version, prompt_tokens,
        completion_tokens, classification, guardrail, guardrail_detail,
        queue_ms, llm_ms, total_ms, attempts, completed_at)
    SELECT CAST(:id AS uuid), :user_id, CAST(:session_id AS uuid), :course_id,
        :client_request_id, t.turn, :notebook_path, :cell_id,
        :policy_version, :experiment_id, :arm_id,
        -- the assignment whose notebook the question came from (issue 22)
        (SELECT a.id FROM assignments a WHERE a.course_id = :course_id
            AND a.notebook_path = :notebook_path),
        :ai_window, :mode, :prompt, CAST(:context AS jsonb),
        :status, :cache_hit,
        :answer, :provider, :model, :prompt_version, :prompt_tokens, :completion_tokens,
        :classification, :guardrail, CAST(:guardrail_detail AS jsonb), :queue_ms, :llm_ms,
        :total_ms, 0, CASE WHEN :status = 'done' THEN now() END
    FROM t
    WHERE (CAST(:session_id AS uuid) IS NULL OR EXISTS (
        SELECT 1 FROM tutor_sessions s WHERE s.id = CAST(:session_id AS uuid)
        AND s.user_id = :user_id))
      AND (NOT :first_turn_only OR t.turn = 1)
      -- a cached answer was never checked against an assignment's reference: not for one
      AND (NOT :first_turn_only OR NOT EXISTS (SELECT 1 FROM assignments a
          WHERE a.course_id = :course_id AND a.notebook_path = :notebook_path))
    ON CONFLICT ON CONSTRAINT uq_interactions_client_request DO NOTHING
    RETURNING {_READ}
    """
)

_DEFAULTS: dict[str, Any] = {
    "session_id": None,
    "course_id": None,
    "client_request_id": None,
    "notebook_path": None,
    "cell_id": None,
    "policy_version": None,
    "experiment_id": None,
    "arm_id": None,
    "ai_window": None,
    "first_turn_only": False,
    "context": None,
    "status": "queued",
    "cache_hit": False,
    "answer": None,
    "provider": None,
    "model": None,
    "prompt_version": None,
    "prompt_tokens": None,
    "completion_tokens": None,
    "classification": None,
    "guardrail": None,
    "guardrail_detail": None,
    "queue_ms": None,
    "llm_ms": None,
    "total_ms": None,
}


def insert_interaction(conn: Connection, /, **values: Any) -> Row | None:
    """Insert one interaction as the next turn of its session.

    None when client_request_id repeats, the session is not theirs, or `first_turn_only`
    is set and the session already has a turn.
    """
    params = {**_DEFAULTS, **values}
    params["id"] = str(params.get("id") or uuid.uuid4())
    for key in ("session_id",):
        params[key] = str(params[key]) if params[key] else None
    for key in ("context", "guardrail_detail"):
        params[key] = json.dumps(params[key]) if params[key] is not None else None
    return _one(conn.execute(INSERT_SQL, params))


def find_by_client_request(conn: Connection, user_id: int, client_request_id: str) -> Row | None:
    return _one(
        conn.execute(
            text(f"SELECT {_READ} FROM interactions WHERE user_id = :u AND client_request_id = :c"),
            {"u": user_id, "c": client_request_id},
        )
    )


def get_interaction(conn: Connection, interaction_id: uuid.UUID | str) -> Row | None:
    return _one(
        conn.execute(
            text(f"SELECT {_READ} FROM interactions WHERE id = CAST(:id AS uuid)"),
            {"id": str(interaction_id)},
        )
    )


def is_course_instructor(conn: Connection, user_id: int, course_id: int) -> bool:
    """An instructor of a course that lets its staff read questions (staff_reading is not
    "aggregates", ainative.course.staff_views)."""
    return (
        conn.execute(
            text(
                "SELECT 1 FROM memberships m JOIN courses c ON c.id = m.course_id"
                " WHERE m.user_id = :u AND m.course_id = :c AND m.role = 'instructor'"
                " AND coalesce(c.tutor_policy->>'staff_reading', 'full') <> 'aggregates'"
            ),
            {"u": user_id, "c": course_id},
        ).first()
        is not None
    )


def list_interactions(conn: Connection, user_id: int, limit: int, offset: int) -> list[Row]:
    """The user's interactions, newest first."""
    rows = conn.execute(
        text(
            f"SELECT {_READ} FROM interactions WHERE user_id = :u "
            "ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset"
        ),
        {"u": user_id, "limit": limit, "offset": offset},
    )
    return [dict(r) for r in rows.mappings()]


def add_event(
    conn: Connection,
    event_type: str,
    *,
    user_id: int | None,
    payload: Mapping[str, Any] | None = None,
    course_id: int | None = None,
    session_id: uuid.UUID | str | None = None,
    interaction_id: uuid.UUID | str | None = None,
) -> None:
    """Record a research event (quota hit, rating, session start/end)."""
    conn.execute(
        text(
            "INSERT INTO events (event_type, user_id, course_id, session_id, interaction_id,"
            " payload) VALUES (:t, :u, :c, CAST(:s AS uuid), CAST(:i AS uuid),"
            " CAST(:p AS jsonb))"
        ),
        {
            "t": event_type,
            "u": user_id,
            "c": course_id,
            "s": str(session_id) if session_id else None,
            "i": str(interaction_id) if interaction_id else None,
            "p": json.dumps(dict(payload or {})),
        },
    )


def rate_interaction(
    conn: Connection,
    interaction_id: uuid.UUID,
    user_id: int,
    *,
    helpful: bool | None,
    score: int | None,
) -> Row | None:
    """Store a rating on the caller's own interaction; None leaves that scale as it was."""
    return _one(
        conn.execute(
            text(
                "UPDATE interactions SET helpful = COALESCE(CAST(:h AS boolean), helpful),"
                " score = COALESCE(CAST(:s AS smallint), score), rated_at = now() "
                "WHERE id = CAST(:id AS uuid) AND user_id = :u RETURNING *"
            ),
            {"h": helpful, "s": score, "id": str(interaction_id), "u": user_id},
        )
    )


def start_session(conn: Connection, user_id: int, course_id: int | None, client: str) -> Row | None:
    return _one(
        conn.execute(
            text(
                "INSERT INTO tutor_sessions (id, user_id, course_id, client) "
                "VALUES (CAST(:id AS uuid), :u, :c, :client) RETURNING *"
            ),
            {"id": str(uuid.uuid4()), "u": user_id, "c": course_id, "client": client},
        )
    )


def end_session(conn: Connection, session_id: uuid.UUID, user_id: int) -> Row | None:
    """End the caller's session (idempotent: ending twice keeps the first end time)."""
    return _one(
        conn.execute(
            text(
                "UPDATE tutor_sessions SET ended_at = COALESCE(ended_at, now()) "
                "WHERE id = CAST(:id AS uuid) AND user_id = :u RETURNING *"
            ),
            {"id": str(session_id), "u": user_id},
        )
    )
