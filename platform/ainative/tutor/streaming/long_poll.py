"""Reading an interaction: who may see it, and waiting for its answer (the long-poll).

A waiter subscribes to the done signal BEFORE its first read and clears its event
before every re-read, so a completion between a read and the wait is never lost.
The database stays the source of truth: the signal only says "read again".
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence

from sqlalchemy import Connection

from ainative.db.engine import Db, on_connection
from ainative.tutor import repository as repo
from ainative.tutor.errors import InteractionNotFoundError
from ainative.tutor.repository import Row
from ainative.tutor.streaming.notify import DoneNotifier

FINAL = ("done", "error")
FALLBACK_POLL_SECONDS = 1.0  # re-read period while the done signal is unavailable


def may_read(conn: Connection, row: Row, *, user_id: int, roles: Sequence[str]) -> bool:
    """Its author, admins, and instructors of its course (unless the course shows its
    staff totals only) may read an interaction."""
    if row["user_id"] == user_id or "admin" in roles:
        return True
    return bool(
        "instructor" in roles
        and row["course_id"]
        and repo.is_course_instructor(conn, user_id, row["course_id"])
    )


def read_interaction(
    conn: Connection, interaction_id: uuid.UUID, *, user_id: int, roles: Sequence[str]
) -> Row:
    """The interaction if the user may read it; the same refusal for missing and not theirs."""
    row = repo.get_interaction(conn, interaction_id)
    if row is None or not may_read(conn, row, user_id=user_id, roles=roles):
        raise InteractionNotFoundError()
    return row


async def wait_for_answer(
    db: Db,
    notifier: DoneNotifier,
    interaction_id: uuid.UUID,
    *,
    user_id: int,
    roles: Sequence[str],
    wait: float,
) -> Row:
    """The interaction once it is done or failed, or as it is after `wait` seconds."""
    deadline = time.monotonic() + wait
    with notifier.waiter(str(interaction_id)) as woken:
        row = await db(
            on_connection(read_interaction), interaction_id, user_id=user_id, roles=roles
        )
        while row["status"] not in FINAL:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # Without the subscription (Redis down), re-read the database every second.
            timeout = remaining if notifier.connected else min(FALLBACK_POLL_SECONDS, remaining)
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout)
            woken.clear()
            latest = await db(on_connection(repo.get_interaction), interaction_id)
            row = latest or row
    return row
