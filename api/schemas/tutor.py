"""Bodies of the tutor endpoints: submit, read, list, rate, quota, sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ainative.config import get_settings
from ainative.db.models import SCORE_MAX, SCORE_MIN
from ainative.tutor.modes import DEFAULT_MODE, ModeName
from api.schemas.bounds import CellIdField, IdField, NotebookPathField
from api.schemas.text import Text

Status = Literal["queued", "running", "done", "error"]
# Exactly the characters str.strip() removes (regex engines disagree on \s: \x85, \ufeff).
WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Not only whitespace, and no NUL: as _prompt_length and api.schemas.text check.
PROMPT_PATTERN = rf"^[{WHITESPACE}]*[^{WHITESPACE}\u0000][^\u0000]*$"


def _prompt_schema(schema: dict[str, Any]) -> None:
    """The prompt's limits, read when the OpenAPI schema is built (they are settings)."""
    schema.update(minLength=1, maxLength=get_settings().max_prompt_chars, pattern=PROMPT_PATTERN)


def _context_schema(schema: dict[str, Any]) -> None:
    for branch in schema.get("anyOf", [schema]):  # the string branch of `str | None`
        if branch.get("type") == "string":
            branch["maxLength"] = get_settings().max_context_chars


CONTEXT_ITEMS = ("code", "error", "explanation", "notebook")


class TutorContext(BaseModel):
    """What the widget sends along: the current cell, its error, the kernel's explanation
    of that error (ainative.tutor.explanation), the notebook's name."""

    model_config = ConfigDict(extra="forbid")

    code: Text | None = Field(None, json_schema_extra=_context_schema)
    error: Text | None = Field(None, json_schema_extra=_context_schema)
    explanation: Text | None = Field(None, json_schema_extra=_context_schema)
    notebook: Text | None = Field(None, json_schema_extra=_context_schema)

    @model_validator(mode="after")
    def _bounded(self) -> TutorContext:
        limit = get_settings().max_context_chars
        for name in CONTEXT_ITEMS:
            value = getattr(self, name)
            if value is not None and len(value) > limit:
                raise ValueError(f"context.{name} is longer than {limit} characters")
        total = sum(len(getattr(self, n) or "") for n in CONTEXT_ITEMS)
        if total > limit:
            raise ValueError(f"context is longer than {limit} characters in total")
        return self

    def compact(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class TutorRequestCreate(BaseModel):
    """A question for the tutor."""

    model_config = ConfigDict(extra="forbid")

    prompt: Text = Field(json_schema_extra=_prompt_schema)
    mode: ModeName = DEFAULT_MODE
    session_id: uuid.UUID | None = None
    course_id: IdField | None = None
    context: TutorContext | None = None
    client_request_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$"
    )
    notebook_path: NotebookPathField | None = None
    cell_id: CellIdField | None = None

    @field_validator("prompt")
    @classmethod
    def _prompt_length(cls, value: str) -> str:
        limit = get_settings().max_prompt_chars
        if len(value) > limit:  # before stripping, as the schema's maxLength counts
            raise ValueError(f"the question is {len(value)} characters long; the limit is {limit}")
        value = value.strip()
        if not value:
            raise ValueError("the question is empty")
        return value


class TutorRequestAccepted(BaseModel):
    id: uuid.UUID
    status: Status


class InteractionPublic(BaseModel):
    """One interaction as its owner sees it."""

    id: uuid.UUID
    status: Status
    mode: str
    prompt: str
    answer: str | None = None
    error: str | None = None
    cache_hit: bool = False
    classification: str | None = None
    guardrail: str | None = None
    provider: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    queue_ms: int | None = None
    llm_ms: int | None = None
    ttft_ms: int | None = None
    total_ms: int | None = None
    attempts: int = 0
    course_id: int | None = None
    session_id: uuid.UUID | None = None
    client_request_id: str | None = None
    turn: int = 1
    notebook_path: str | None = None
    cell_id: str | None = None
    helpful: bool | None = None
    score: int | None = None
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> InteractionPublic:
        return cls.model_validate({k: row.get(k) for k in cls.model_fields if k in row})


class InteractionList(BaseModel):
    items: list[InteractionPublic]
    limit: int
    offset: int


SCORE_HINT = f"a whole number from {SCORE_MIN} to {SCORE_MAX}"


class RatingCreate(BaseModel):
    """A rating of one answer: `helpful` (thumbs up/down), a `score` from 1 to 5, or both.

    Each call sets what it sends and leaves the other as it was.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={  # at least one of the two, as _one_of checks
            "anyOf": [
                {"required": ["score"], "properties": {"score": {"type": "integer"}}},
                {"required": ["helpful"], "properties": {"helpful": {"type": "boolean"}}},
            ]
        },
    )

    helpful: bool | None = Field(default=None, description="thumbs up (true) or down (false)")
    score: int | None = Field(default=None, ge=SCORE_MIN, le=SCORE_MAX, description="1 to 5")
    comment: Text | None = Field(default=None, max_length=2000)

    @model_validator(mode="before")
    @classmethod
    def _no_old_rating(cls, data: Any) -> Any:
        if isinstance(data, dict) and "rating" in data:
            raise ValueError(
                "`rating` is no longer accepted: send helpful (true or false) "
                f"and/or score ({SCORE_HINT})"
            )
        return data

    @field_validator("helpful", mode="before")
    @classmethod
    def _helpful(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value

    @field_validator("score", mode="before")
    @classmethod
    def _score(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON's 1.0 is the integer 1 (JSON Schema says so too)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be {SCORE_HINT}")
        if not SCORE_MIN <= value <= SCORE_MAX:
            raise ValueError(f"must be {SCORE_HINT}, not {value}")
        return value

    @model_validator(mode="after")
    def _one_of(self) -> RatingCreate:
        if self.helpful is None and self.score is None:
            raise ValueError(f"send helpful (true or false), a score ({SCORE_HINT}), or both")
        return self


class QuotaPublic(BaseModel):
    limit: int
    used: int
    remaining: int
    window_seconds: int
    resets_at: datetime
    enforced: bool
    course_id: int | None = None


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    course_id: IdField | None = None
    client: Text = Field(default="api", min_length=1, max_length=32)


class SessionPublic(BaseModel):
    id: uuid.UUID
    course_id: int | None = None
    client: str
    started_at: datetime
    ended_at: datetime | None = None
