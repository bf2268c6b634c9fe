"""A student's own data: everything stored about them, and deleting it on request.

`collect` gathers every row keyed to the user (account without its password hash,
consent records, memberships, sessions, interactions, hand-offs to a person and their
replies, events). `delete` removes their hand-offs (with their snapshots and replies),
interactions, events and sessions (and the account unless they keep it) in one
transaction and returns the response-cache keys of their first-turn questions and the
answer streams of their interactions, which the caller deletes from Redis; a deleted
account's username is barred and its hub part queued (ainative.hub.removal). Nothing
of the content is logged, only counts.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, text

from ainative.auth import deleted_names
from ainative.config import Settings
from ainative.course import pseudonyms
from ainative.csv_cells import escape_value
from ainative.db.models import Interaction
from ainative.hub import removal
from ainative.tutor import trace
from ainative.tutor.cache import question_key
from ainative.tutor.streaming.entries import stream_key

Tables = dict[str, list[dict[str, Any]]]

# What the model was sent (its system prompt holds the course's tutor-only context) and what
# it wrote before the guardrail (the code the guardrail held back) never reach a student;
# the download keeps their digest and the decoding parameters. They are deleted all the same.
WITHHELD_FROM_STUDENT = ("messages", "raw_answer")
_INTERACTION_COLUMNS = ", ".join(
    c.name for c in Interaction.__table__.columns if c.name not in WITHHELD_FROM_STUDENT
)

_QUERIES = {
    "account": "SELECT id, username, email, roles, is_active, is_verified, research_consent, "
    "created_at, last_login, password_changed_at FROM users WHERE id = :id",
    "consent": "SELECT given, text_version, source, recorded_at FROM consent_records "
    "WHERE user_id = :id ORDER BY recorded_at, id",
    "courses": "SELECT c.id AS course_id, c.code, c.title, m.role, m.created_at AS joined_at "
    "FROM memberships m JOIN courses c ON c.id = m.course_id WHERE m.user_id = :id "
    "ORDER BY m.created_at",
    "sessions": "SELECT * FROM tutor_sessions WHERE user_id = :id ORDER BY started_at",
    "interactions": f"SELECT {_INTERACTION_COLUMNS} FROM interactions WHERE user_id = :id "
    "ORDER BY created_at",
    "escalations": "SELECT id, course_id, session_id, status, message, snapshot, created_at, "
    "claimed_at, first_reply_at, resolved_at, withdrawn_at FROM escalations "
    "WHERE user_id = :id ORDER BY created_at",
    "escalation_replies": "SELECT r.escalation_id, r.text, r.created_at FROM escalation_replies r "
    "JOIN escalations e ON e.id = r.escalation_id WHERE e.user_id = :id ORDER BY r.created_at",
    "events": "SELECT id, event_type, session_id, course_id, interaction_id, occurred_at, "
    "created_at, payload FROM events WHERE user_id = :id ORDER BY occurred_at, id",
}


def collect(conn: Connection, user_id: int) -> Tables:
    """Every row stored about the user, table by table (in one snapshot)."""
    return {
        name: [dict(row) for row in conn.execute(text(sql), {"id": user_id}).mappings()]
        for name, sql in _QUERIES.items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, default=_plain))
    return value


def as_json(tables: Tables) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [{k: _plain(v) for k, v in row.items()} for row in rows]
        for name, rows in tables.items()
    }


def as_zip(tables: Tables) -> bytes:
    """One CSV per table (nested values as JSON), zipped; cells follow ainative.csv_cells."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in as_json(tables).items():
            out = io.StringIO()
            columns = list(rows[0]) if rows else list(_columns(name))
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: escape_value(_cell(v)) for k, v in row.items()})
            archive.writestr(f"{name}.csv", out.getvalue())
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _columns(name: str) -> list[str]:
    select = _QUERIES[name].split(" FROM ")[0].removeprefix("SELECT ")
    return [part.split(" AS ")[-1].split(".")[-1].strip() for part in select.split(",")]


@dataclass(frozen=True)
class Deleted:
    interactions: int
    events: int
    sessions: int
    cached_answers: int
    account_deleted: bool

    def public(self) -> dict[str, Any]:
        return asdict(self)


def _redis_keys(conn: Connection, user_id: int, settings: Settings) -> tuple[list[str], list[str]]:
    """The cache keys the worker may have stored the user's first-turn answers under, keyed
    as the worker keys them (the policy each was asked under: policy version and arm), and
    the answer streams of all their interactions."""
    rows = conn.execute(
        text(
            f"SELECT i.id, i.prompt, i.mode, i.context, i.status, i.cache_hit, i.turn, "
            f"{trace.POLICY_ASKED_UNDER} AS policy "
            f"FROM interactions i {trace.policy_joins('i')} WHERE i.user_id = :id"
        ),
        {"id": user_id},
    ).mappings()
    cache, streams = set(), set()
    for r in rows:
        streams.add(stream_key(str(r["id"])))
        if r["status"] == "done" and not r["cache_hit"] and r["turn"] == 1:
            cache.add(
                question_key(
                    prompt=r["prompt"],
                    mode=r["mode"],
                    context=r["context"],
                    policy=r["policy"],
                    settings=settings,
                )
            )
    return sorted(cache), sorted(streams)


@dataclass(frozen=True)
class Removed:
    """What `delete` leaves for the caller: Redis keys to drop, and the account's name."""

    cache_keys: list[str]
    stream_keys: list[str]
    username: str | None  # the deleted account's, or None when it was kept


def delete(
    conn: Connection, user_id: int, *, keep_account: bool, settings: Settings
) -> tuple[Deleted, Removed]:
    """Remove the user's research data (and account); returns counts and what to drop.

    A student who ever took part is remembered by SubjectID only (`erased_subjects`), so
    the next export tells researchers to delete their rows from earlier copies.
    Deleting the account also bars its username from registration for good
    (ainative.auth.deleted_names) and queues its hub user, servers and storage
    (ainative.hub.removal), in this same transaction.
    """
    cache_keys, stream_keys = _redis_keys(conn, user_id, settings)
    pseudonyms.remember_erased(conn, user_id, settings.research_key())  # for exports' copies
    counts = {}
    # escalations first: their replies go with them; the snapshot holds the student's notebook
    for table in ("escalations", "events", "interactions", "tutor_sessions"):
        result = conn.execute(text(f"DELETE FROM {table} WHERE user_id = :id"), {"id": user_id})
        counts[table] = result.rowcount
    username = None
    if not keep_account:
        username = conn.execute(
            text("DELETE FROM users WHERE id = :id RETURNING username"), {"id": user_id}
        ).scalar_one()
        deleted_names.remember(conn, username, settings)
        removal.queue(conn, username)
    deleted = Deleted(
        interactions=counts["interactions"],
        events=counts["events"],
        sessions=counts["tutor_sessions"],
        cached_answers=len(cache_keys),
        account_deleted=not keep_account,
    )
    return deleted, Removed(cache_keys, stream_keys, username)
