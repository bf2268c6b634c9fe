"""Bodies of POST /api/v1/events/batch: notebook activity sent by the kernel extension.

The limits are part of the contract with the client (ainative.notebook.activity), which
clips code and messages before sending so that a normal cell never hits them.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from ainative.course.event_types import CELL_EXECUTED, CLIENT_EVENT_TYPES, ClientEventType
from api.schemas.bounds import NOT_BOOL, CellIdField, IdField, NotebookPathField
from api.schemas.text import first_text_problem

MAX_EVENTS_PER_BATCH = 500
MAX_PAYLOAD_BYTES = 16 * 1024
MAX_CLOCK_SKEW = timedelta(minutes=10)


class CellExecutedPayload(BaseModel):
    """What one cell execution records: the code and how it ended."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(max_length=MAX_PAYLOAD_BYTES)
    success: StrictBool
    execution_count: Annotated[int, Field(ge=0), NOT_BOOL] | None = None
    error_type: str | None = Field(default=None, max_length=200)
    error_message: str | None = Field(default=None, max_length=4000)
    error_first_line: str | None = Field(default=None, max_length=500)
    error_line: Annotated[int, Field(ge=1), NOT_BOOL] | None = None


def _event_schema(schema: dict[str, Any]) -> None:
    """A cell.executed event's payload is a CellExecutedPayload (as _typed_payload checks)."""
    schema["if"] = {"properties": {"type": {"const": CELL_EXECUTED}}, "required": ["type"]}
    schema["then"] = {
        "required": ["payload"],
        "properties": {"payload": CellExecutedPayload.model_json_schema()},
    }


class EventIn(BaseModel):
    """One client event; its owner is always the caller, never a field of the body."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_event_schema)

    type: ClientEventType  # the client types of the registry; the API writes the others
    occurred_at: datetime = Field(
        description="with a timezone; at most 10 minutes ahead of the server's clock"
    )
    session_id: uuid.UUID | None = None
    course_id: IdField | None = None
    notebook_path: NotebookPathField | None = None
    cell_id: CellIdField | None = None
    payload: dict[str, Any] = Field(
        default_factory=dict,
        description=f"at most {MAX_PAYLOAD_BYTES} bytes as JSON; no NUL characters",
    )

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        """A date-time string, not a number that pydantic would read as Unix time."""
        if not isinstance(value, str | datetime):
            raise ValueError("must be a date-time string (e.g. 2026-01-01T10:00:00Z)")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _aware_and_not_future(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must include a timezone (e.g. 2026-01-01T10:00:00Z)")
        if value > datetime.now(UTC) + MAX_CLOCK_SKEW:
            raise ValueError("lies in the future")
        # UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts (a 500, found
        # by fuzzing with "-18:00").
        return value.astimezone(UTC)

    @field_validator("payload")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(value, ensure_ascii=False, default=str)
        size = len(text.encode(errors="replace"))
        if size > MAX_PAYLOAD_BYTES:
            raise ValueError(f"is {size} bytes; at most {MAX_PAYLOAD_BYTES} are accepted")
        problem = first_text_problem(value)  # PostgreSQL's jsonb cannot store these
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _typed_payload(self) -> EventIn:
        if self.type == CELL_EXECUTED:
            try:
                CellExecutedPayload.model_validate(self.payload)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                raise ValueError(f"payload of a cell.executed event: {problems}") from None
        return self


class EventBatchIn(BaseModel):
    """A batch of events; `session_id` and `course_id` are defaults for events naming none."""

    model_config = ConfigDict(extra="forbid")

    session_id: uuid.UUID | None = None
    course_id: IdField | None = None
    events: list[EventIn] = Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)


class EventBatchPublic(BaseModel):
    """What happened to a batch: received, stored, and whether consent allowed storing."""

    received: int
    stored: int
    consent: bool


class EventLimitsPublic(BaseModel):
    """The limits and the caller's consent, so a client can stop recording early."""

    consent: bool
    max_events_per_batch: int = MAX_EVENTS_PER_BATCH
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    event_types: list[str] = list(CLIENT_EVENT_TYPES)
