"""Ratings of answers: stored on the interaction, with a research event, in one transaction.

Two scales, kept apart: `helpful` (the thumbs, yes/no) and an optional `score` (1-5).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection

from ainative.course.event_types import INTERACTION_RATED
from ainative.tutor import repository as repo
from ainative.tutor.errors import InteractionNotFoundError
from ainative.tutor.repository import Row


def rate_interaction(
    conn: Connection,
    *,
    interaction_id: uuid.UUID,
    user_id: int,
    helpful: bool | None = None,
    score: int | None = None,
    comment: str | None = None,
) -> Row:
    """Rate one of the user's own answers on either scale; InteractionNotFoundError for
    anyone else's.

    A scale left out (None) keeps its earlier value. The event's payload records both
    scales as stored after this call, so the events alone replay the student's ratings.
    """
    row = repo.rate_interaction(conn, interaction_id, user_id, helpful=helpful, score=score)
    if row is None:
        raise InteractionNotFoundError()
    repo.add_event(
        conn,
        INTERACTION_RATED,
        user_id=user_id,
        course_id=row["course_id"],
        session_id=row["session_id"],
        interaction_id=row["id"],
        payload={"helpful": row["helpful"], "score": row["score"], "comment": comment},
    )
    return row
