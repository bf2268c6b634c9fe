"""The worker's writes to the trace: start an attempt, finish it, and the sweeper's pass.

Every write is conditional on the row's status, so duplicated deliveries (late acks,
the sweeper re-enqueueing a slow task) can run the pipeline twice but never store
two answers or overwrite a row that ended (done, or error), so each row has exactly
one final write.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

_MS_SINCE_CREATED = "CAST(EXTRACT(EPOCH FROM (now() - created_at)) * 1000 AS integer)"

HISTORY_MAX_TURNS = 50  # earlier turns read at most; the character budget trims further

# The policy an interaction was asked under (its course's policy version, its experiment
# arm laid over it), over the joins of `policy_joins(alias of the interactions row)`: what
# the worker answers and keys the cache with, and what deleting the data must key alike.
POLICY_ASKED_UNDER = (
    "COALESCE(v.policy, c.tutor_policy, '{}'::jsonb) || COALESCE(a.policy, '{}'::jsonb)"
)


def policy_joins(alias: str) -> str:
    return (
        f"LEFT JOIN courses c ON c.id = {alias}.course_id "
        f"LEFT JOIN course_policy_versions v "
        f"ON v.course_id = {alias}.course_id AND v.version = {alias}.policy_version "
        f"LEFT JOIN experiment_arms a ON a.id = {alias}.arm_id"
    )


# `history`: the earlier answered turns of the row's session, oldest first, as a JSON list
# of {prompt, answer}. Earlier = a lower turn, or the same turn number stored before (two
# racing requests can share a number). Failed or unanswered turns are left out.
START_SQL = text(
    f"""
    WITH upd AS (
        UPDATE interactions SET status = 'running', attempts = attempts + 1,
            started_at = now(), queue_ms = {_MS_SINCE_CREATED}
        WHERE id = CAST(:id AS uuid) AND status IN ('queued', 'running')
        RETURNING *)
    SELECT upd.*,
        -- the policy it was asked under: its course policy version, with its arm laid over
        {POLICY_ASKED_UNDER} AS policy,
        -- the assignment's reference and hidden tests: leak scoring only, never the prompt
        asg.reference_solution AS assignment_reference, asg.hidden_tests AS assignment_tests,
        COALESCE((
            SELECT json_agg(json_build_object('prompt', h.prompt, 'answer', h.answer)
                ORDER BY h.turn, h.created_at)
            FROM (
                SELECT i.prompt, i.answer, i.turn, i.created_at FROM interactions i
                WHERE i.session_id = upd.session_id AND i.user_id = upd.user_id
                  AND i.status = 'done' AND i.answer IS NOT NULL AND i.id <> upd.id
                  AND (i.turn, i.created_at) < (upd.turn, upd.created_at)
                ORDER BY i.turn DESC, i.created_at DESC
                LIMIT {HISTORY_MAX_TURNS}) h), '[]'::json) AS history
    FROM upd {policy_joins("upd")}
    LEFT JOIN assignments asg ON asg.id = upd.assignment_id
    """
)


def start_attempt(conn: Connection, interaction_id: str) -> dict[str, Any] | None:
    """Mark the row running and return it with its course policy and its session's history.

    None if done/error/missing. `history` lists the earlier answered turns (see START_SQL).
    """
    row = conn.execute(START_SQL, {"id": interaction_id}).mappings().first()
    return dict(row) if row is not None else None


# The LLM's side of a turn (migration 0012); absent from a cache hit's values.
LLM_SIDE = (
    "messages_sha256",
    "messages",
    "decoding",
    "response_id",
    "system_fingerprint",
    "model_returned",
    "raw_answer",
)

COMPLETE_SQL = text(
    f"""
    UPDATE interactions SET status = 'done', answer = :answer, provider = :provider,
        model = :model, prompt_version = :prompt_version, prompt_tokens = :prompt_tokens,
        completion_tokens = :completion_tokens, llm_ms = :llm_ms, cache_hit = :cache_hit,
        classification = :classification, guardrail = :guardrail,
        guardrail_detail = CAST(:guardrail_detail AS jsonb), ttft_ms = :ttft_ms, error = NULL,
        messages_sha256 = :messages_sha256, messages = CAST(:messages AS jsonb),
        decoding = CAST(:decoding AS jsonb), response_id = :response_id,
        system_fingerprint = :system_fingerprint, model_returned = :model_returned,
        raw_answer = :raw_answer, leak_score = :leak_score, leak = CAST(:leak AS jsonb),
        completed_at = now(), total_ms = {_MS_SINCE_CREATED}
    WHERE id = CAST(:id AS uuid) AND status IN ('queued', 'running')
    RETURNING total_ms
    """
)


def complete(conn: Connection, interaction_id: str, **values: Any) -> int | None:
    """Store the answer unless the row already ended; returns total_ms when stored.

    Ended includes error: a row the sweeper gave up on has told its student so, and a
    late answer must not become a second final write (tests/faults counts them).
    """
    params = {
        **dict.fromkeys(LLM_SIDE),
        "ttft_ms": None,
        "leak_score": None,
        "leak": None,
        **values,
        "id": interaction_id,
    }
    params["guardrail_detail"] = json.dumps(values.get("guardrail_detail") or {})
    for column in ("messages", "decoding", "leak"):
        params[column] = None if params[column] is None else json.dumps(params[column])
    row = conn.execute(COMPLETE_SQL, params).first()
    return None if row is None else int(row[0])


def fail(conn: Connection, interaction_id: str, error: str) -> bool:
    """Mark the row failed with a readable error, unless it already ended (done or error)."""
    row = conn.execute(
        text(
            f"UPDATE interactions SET status = 'error', error = :error, completed_at = now(), "
            f"total_ms = {_MS_SINCE_CREATED} "
            "WHERE id = CAST(:id AS uuid) AND status IN ('queued', 'running') RETURNING id"
        ),
        {"id": interaction_id, "error": error[:2000]},
    ).first()
    return row is not None


RENEW_SQL = text(
    """
    UPDATE interactions SET started_at = now()
    WHERE id = ANY(CAST(:ids AS uuid[])) AND status = 'running'
    """
)


def renew(conn: Connection, interaction_ids: list[str]) -> None:
    """Mark running attempts as active now, so the sweeper does not take them back."""
    conn.execute(RENEW_SQL, {"ids": interaction_ids})


SWEEP_SQL = text(
    """
    WITH stale AS (
        SELECT id, status, attempts FROM interactions
        WHERE status IN ('queued', 'running')
          AND COALESCE(started_at, created_at) < now() - make_interval(secs => :stale)
        ORDER BY created_at
        LIMIT :batch
        FOR UPDATE SKIP LOCKED)
    UPDATE interactions i SET
        status = CASE WHEN stale.attempts >= :max_attempts THEN 'error' ELSE 'queued' END,
        attempts = CASE WHEN stale.status = 'queued' THEN i.attempts + 1 ELSE i.attempts END,
        started_at = now(),
        error = CASE WHEN stale.attempts >= :max_attempts
            THEN 'the tutor could not answer this question after ' || stale.attempts
                 || ' attempts; please ask again' ELSE i.error END,
        completed_at = CASE WHEN stale.attempts >= :max_attempts THEN now() END
    FROM stale WHERE i.id = stale.id
    RETURNING i.id, i.status
    """
)


def sweep(
    conn: Connection, stale_seconds: float, max_attempts: int, batch: int
) -> tuple[list[str], list[str]]:
    """Claim stuck rows: (ids to re-enqueue, ids given up as error).

    Bumping started_at makes a row fresh again, so a second sweeper (or the next pass)
    does not enqueue it twice; SKIP LOCKED keeps concurrent sweepers off each other's
    rows. A row that was queued but never started counts as a lost delivery attempt.
    """
    rows = conn.execute(
        SWEEP_SQL, {"stale": stale_seconds, "max_attempts": max_attempts, "batch": batch}
    ).all()
    requeue = [str(r[0]) for r in rows if r[1] == "queued"]
    failed = [str(r[0]) for r in rows if r[1] == "error"]
    return requeue, failed
