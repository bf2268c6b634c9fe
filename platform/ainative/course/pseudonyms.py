"""Research pseudonyms: a student's SubjectID under the pseudonym key, and a key's name.

One implementation for the exports (analytics) and the core, which records the SubjectID
of a student who erases their data (`erased_subjects`) so that the next export can tell
researchers to delete that student's rows from copies made before.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import Connection, text


def pseudonym(user_id: int, key: str) -> str:
    """A keyed, stable pseudonym of a user id (HMAC-SHA256, 96 bits, hex): the SubjectID."""
    digest = hmac.new(key.encode(), f"user:{int(user_id)}".encode(), hashlib.sha256)
    return "s" + digest.hexdigest()[:24]


def key_id(key: str) -> str:
    """A digest naming a pseudonym key without revealing it (exports under one key)."""
    return hashlib.sha256(f"ainative-key-id:{key}".encode()).hexdigest()[:16]


def remember_erased(conn: Connection, user_id: int, key: str) -> None:
    """Record the SubjectID of a student whose research data is being erased, if they ever
    took part (a consent period said yes); in the erasure's transaction."""
    conn.execute(
        text(
            "INSERT INTO erased_subjects (subject_id, key_id) SELECT :s, :k "
            "WHERE EXISTS (SELECT 1 FROM consent_periods p WHERE p.user_id = :u AND p.given)"
        ),
        {"s": pseudonym(user_id, key), "k": key_id(key), "u": user_id},
    )
