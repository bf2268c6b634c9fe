"""Ratings of answers: stored on the interaction, with a research event, in one transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection

from ainative.tutor import repository as repo
from ainative.tutor.repository import Row
from ainative.tutor.service import INTERACTION_NOT_FOUND, TutorError


def rate_interaction(
    conn: Connection,
    *,
    interaction_id: uuid.UUID,
    user_id: int,
    value: int,
    helpful: bool | None = None,
    comment: str | None = None,
) -> Row:
    """Rate one of the user's own answers; 404 for anyone else's."""
    row = repo.rate_interaction(conn, interaction_id, user_id, value)
    if row is None:
        raise TutorError(404, INTERACTION_NOT_FOUND)
    repo.add_event(
        conn,
        "interaction.rated",
        user_id=user_id,
        course_id=row["course_id"],
        session_id=row["session_id"],
        interaction_id=row["id"],
        payload={"rating": value, "helpful": helpful, "comment": comment},
    )
    return row
