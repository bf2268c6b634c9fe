"""Bodies of the hand-off routes (ask a person): create, read, the staff's queue, reply."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.auth import Strict
from api.schemas.bounds import IdField, NotebookPathField
from api.schemas.text import Text

EscalationStatus = Literal["waiting", "claimed", "answered", "resolved", "withdrawn"]


class FailingCell(Strict):
    source: Text = Field("", max_length=20_000)
    error: Text = Field("", max_length=20_000)
    execution_count: int | None = Field(None, ge=0, le=10_000_000)


class NotebookCell(Strict):
    cell_type: Literal["code", "markdown", "raw"] = "code"
    source: Text = Field("", max_length=20_000)
    execution_count: int | None = Field(None, ge=0, le=10_000_000)
    outputs: Text = Field("", max_length=20_000)


class EscalationCreate(Strict):
    """What the student chose to send: their line, and each part they left ticked."""

    message: Text = Field(min_length=1, max_length=2000, description="the student's line")
    include_conversation: bool = Field(True, description="the session's turns so far")
    cell: FailingCell | None = Field(None, description="the current cell and its error")
    notebook_path: NotebookPathField | None = None
    cells: list[NotebookCell] | None = Field(
        None, max_length=500, description="the notebook's cells (outputs trimmed)"
    )
    assignment_id: IdField | None = Field(None, description="the assignment, when one applies")


class ReplyCreate(Strict):
    text: Text = Field(min_length=1, max_length=10_000, description="Markdown")


class ReplyPublic(BaseModel):
    id: int
    text: str
    html: str = Field(description="the Markdown rendered and sanitised as tutor answers are")
    author: str | None
    created_at: datetime


class EscalationPublic(BaseModel):
    """One escalation as its student or the course's staff read it."""

    id: uuid.UUID
    course_id: int
    session_id: uuid.UUID | None
    status: EscalationStatus
    message: str
    position: int | None = Field(description="place in the course's queue while waiting")
    created_at: datetime
    claimed_at: datetime | None
    first_reply_at: datetime | None
    resolved_at: datetime | None
    withdrawn_at: datetime | None
    replies: list[ReplyPublic]
    version: str = Field(description="changes whenever status or replies change (?seen=)")
    snapshot: dict[str, Any] | None = Field(None, description="for the course's staff only")
    classification: str | None = None
    tutor_turns: int = 0
    assignment_id: int | None = None


class EscalationListItem(BaseModel):
    id: uuid.UUID
    user_id: int
    username: str
    status: EscalationStatus
    message: str
    classification: str | None
    tutor_turns: int
    created_at: datetime
    waiting_seconds: float = Field(description="until claimed or withdrawn, else until now")
    claimed_by: int | None
    claimed_by_name: str | None
    first_reply_at: datetime | None
    replies: int


class EscalationList(BaseModel):
    data: list[EscalationListItem]
