"""Bodies of the staff console's course views: questions, the live lab, the roster."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Rating(BaseModel):
    """The student's two rating scales, never mixed: thumbs and an optional 1-5 score."""

    helpful: bool | None
    score: int | None


class CourseInteraction(BaseModel):
    """One question and its answer, as course staff read it (no e-mail, no consent)."""

    id: str = Field(description="the interaction's id (a UUID)")
    user_id: int
    username: str
    notebook: str | None = Field(description="the notebook's path the question came from")
    session_id: str | None
    turn: int
    created_at: datetime
    mode: str
    classification: str | None
    guardrail: str | None = Field(description="passed, rewritten, refused or withheld")
    status: str
    rating: Rating | None = Field(description="null when not rated")
    prompt: str
    answer: str | None
    error: str | None = Field(description="the tutor's failure, when status is error")


class CourseInteractionsPublic(BaseModel):
    items: list[CourseInteraction]
    next_before_id: str | None = Field(
        description="pass as before_id for the next (older) page; null on the last page"
    )


class LiveStudent(BaseModel):
    user_id: int
    username: str
    questions: int = Field(description="tutor requests in the window")
    failing_runs: int = Field(description="cell runs that ended in an error, in the window")
    same_error_streak: int = Field(
        description="the current string of failing runs with one error type (0: last run ok)"
    )
    minutes_since_success: float | None = Field(
        description="since the last successful run; null when none in the window"
    )
    last_active_at: datetime
    flags: list[str] = Field(
        description="solution_request, guardrail, repeated_error (waiting_for_person later)"
    )
    needs_help: float = Field(description="the sort key, highest first (analytics.live)")


class NamedCount(BaseModel):
    name: str
    count: int


class LivePublic(BaseModel):
    generated_at: datetime
    window_minutes: int
    students: list[LiveStudent]
    error_types: list[NamedCount]
    topics: list[NamedCount] = Field(description="the questions' classifications")
