"""Error replies as the OpenAPI schema declares them, so clients see every status we send.

Every error body has a `detail` a person can read (api.errors builds them); a 422 also
lists the problems one by one. Routes declare their statuses with `error_responses(...)`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorPublic(BaseModel):
    """A refusal: what went wrong, in words."""

    detail: str


class Problem(BaseModel):
    """One invalid part of a request: where it is and what is wrong with it."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorPublic(BaseModel):
    """A 422: `detail` sums the problems up in one sentence, `errors` lists them."""

    detail: str
    errors: list[Problem] = Field(default_factory=list)


WHY: dict[int, str] = {
    400: "the body could not be read (not UTF-8, or a malformed form)",
    401: "not logged in, or the token has expired or was revoked",
    403: "logged in, but not allowed to do this",
    404: "no such resource, or not one of yours",
    409: "conflicts with what exists (a name already taken)",
    422: "the request breaks a rule of the schema; `detail` says which",
    429: "too many requests; retry after `Retry-After` seconds",
    503: "a backing service is unavailable; retry after `Retry-After` seconds",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or router: each status with its body and meaning."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model = ValidationErrorPublic if code == 422 else ErrorPublic
        entry: dict[str, Any] = {"model": model, "description": WHY[code]}
        if code in (429, 503):
            entry["headers"] = RETRY_AFTER
        out[code] = entry
    return out
