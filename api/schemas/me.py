"""Bodies of the caller's own-data endpoints."""

from __future__ import annotations

from pydantic import BaseModel


class DataDeleted(BaseModel):
    """What was deleted: counts only."""

    interactions: int
    events: int
    sessions: int
    cached_answers: int
    account_deleted: bool
