"""Usernames of deleted accounts: never registered again (issue 20.5).

A new account under a deleted account's name would meet what the hub and the
deployment still keep under that name (a hub user not yet removed, a Docker volume
`ainative-user-<name>`, a PVC `claim-<name>`, a home `/home/jh-<name>`). The name is
kept only as an HMAC under the pseudonym key (PSEUDONYM_KEY) of its lower-cased form,
so the table lists no one and still refuses the name in any case.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ainative.config import Settings, get_settings
from ainative.db.models import DeletedUsername

REFUSED = "that username belonged to a deleted account and cannot be used again: choose another"


def name_hash(username: str, settings: Settings | None = None) -> str:
    key = (settings or get_settings()).research_key().encode()
    return hmac.new(key, username.strip().lower().encode(), hashlib.sha256).hexdigest()


def remember(
    session: Session | Connection, username: str, settings: Settings | None = None
) -> None:
    """Record the name of an account being deleted (in the deletion's transaction)."""
    stmt = insert(DeletedUsername).values(name_hash=name_hash(username, settings))
    session.execute(stmt.on_conflict_do_nothing(index_elements=["name_hash"]))


def was_deleted(
    session: Session | Connection, username: str, settings: Settings | None = None
) -> bool:
    digest = name_hash(username, settings)
    found = session.execute(
        select(DeletedUsername.name_hash).where(DeletedUsername.name_hash == digest)
    )
    return found.first() is not None
