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
CourseIdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="a course's id")]
CourseIdQuery = Annotated[int | None, Query(ge=1, le=INT32_MAX, description="a course's id")]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]
