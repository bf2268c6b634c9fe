"""Text the database can hold: no NUL character and no unpaired surrogate.

PostgreSQL refuses both (in text and in jsonb), and psycopg2 raises before the query is
sent, so a field that reaches the database without this check turns a typed character
into a 500 (found by fuzzing: a prompt, a course title or a login name containing \\u0000).
`Text` refuses them with a 422 and states the rule in the OpenAPI schema.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

NO_NUL_PATTERN = r"^[^\u0000]*$"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why PostgreSQL could not store `value`, or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain NUL characters (\\u0000)"
    return "must be valid Unicode text (it contains an unpaired surrogate)"


def check_text(value: str) -> str:
    """A pydantic validator: `value` unchanged, or ValueError saying what is wrong."""
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def first_text_problem(value: Any) -> str | None:
    """The first unstorable string in a JSON value (keys included), or None."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
        return next((p for p in map(first_text_problem, items) if p), None)
    if isinstance(value, list):
        return next((p for p in map(first_text_problem, value) if p), None)
    return None


class _NoNulInSchema:
    """Adds the no-NUL pattern to a string's JSON schema unless it has a stricter one."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.setdefault("pattern", NO_NUL_PATTERN)
        return schema


Text = Annotated[str, AfterValidator(check_text), _NoNulInSchema()]
