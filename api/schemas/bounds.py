"""Numbers the database can hold: ids are PostgreSQL `integer`s, offsets are bounded.

A value past these limits is a 422 that says so, not a database error (a 500): the
OpenAPI schema states the bounds, so clients and fuzzers see the real contract.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator, Field

INT32_MAX = 2**31 - 1
MAX_OFFSET = 1_000_000  # deep enough for any list a person pages through


def _not_bool(value: Any) -> Any:
    """JSON true is not the number 1 (pydantic would read it so; found by fuzzing)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


NOT_BOOL = BeforeValidator(_not_bool)  # last in Annotated[...], after the bounds


def _in_utc(value: datetime) -> datetime:
    """A moment PostgreSQL can compare: in UTC (it refuses offsets beyond ±15:59 that
    Python accepts; found by fuzzing with "-16:56"), a naive time read as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("lies outside the years a date can have") from None


TimeQuery = Annotated[
    datetime | None,
    Query(description="a date-time, e.g. 2026-01-01T10:00:00Z (no timezone: UTC)"),
    AfterValidator(lambda v: None if v is None else _in_utc(v)),
]
IdField = Annotated[int, Field(ge=1, le=INT32_MAX), NOT_BOOL]
UserIdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="a user's id")]
InvitationIdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="an invitation's id")]
CourseIdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="a course's id")]
CourseIdQuery = Annotated[int | None, Query(ge=1, le=INT32_MAX, description="a course's id")]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]

# Where in a notebook a question or an event came from (interactions/events columns).
NotebookPathField = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="the notebook's path relative to the server's root (no control characters)",
    ),
]
CellIdField = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the notebook cell's id (nbformat 4.5: letters, digits, . _ : -)",
    ),
]
