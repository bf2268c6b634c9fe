"""Numbers the database can hold: ids are PostgreSQL `integer`s, offsets are bounded.

A value past these limits is a 422 that says so, not a database error (a 500): the
OpenAPI schema states the bounds, so clients and fuzzers see the real contract.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator, Field

INT32_MAX = 2**31 - 1
MAX_OFFSET = 1_000_000  # deep enough for any list a person pages through


def _not_bool(value: Any) -> Any:
    """JSON true is not the number 1 (pydantic would read it so; found by fuzzing)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


NOT_BOOL = BeforeValidator(_not_bool)  # last in Annotated[...], after the bounds
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
