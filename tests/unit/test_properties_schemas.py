"""Property: any JSON body either validates or raises ValidationError (a 422), never another
exception (a 500); and what validates can be stored (no NUL, no unpaired surrogate)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from api.routes.hub import HubTokenCreate
from api.schemas.auth import (
    LoginRequest,
    LogoutRequest,
    PasswordChange,
    RefreshRequest,
    RegisterCreate,
)
from api.schemas.courses import CourseCreate, MemberCreate, TutorPolicy
from api.schemas.events import EventBatchIn, EventIn
from api.schemas.text import first_text_problem
from api.schemas.tutor import RatingCreate, SessionCreate, TutorContext, TutorRequestCreate
from api.schemas.users import UserCreate, UserSelfUpdate, UserUpdate

MODELS: list[type[BaseModel]] = [
    RegisterCreate,
    LoginRequest,
    RefreshRequest,
    LogoutRequest,
    PasswordChange,
    UserCreate,
    UserUpdate,
    UserSelfUpdate,
    CourseCreate,
    TutorPolicy,
    MemberCreate,
    EventIn,
    EventBatchIn,
    TutorContext,
    TutorRequestCreate,
    RatingCreate,
    SessionCreate,
    HubTokenCreate,
]
# Characters that broke the API before: NUL, a lone surrogate, whitespace, a BOM.
NASTY = st.sampled_from(["\x00", "\ud800", " ", "\n", "\x1c", "\ufeff", "@", "/", "Aa1"])
TEXT = st.one_of(st.text(max_size=40), st.lists(NASTY | st.text(max_size=3)).map("".join))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.sampled_from(["2026-01-01T10:00:00Z", "2999-01-01T00:00:00Z", "hints", "cell.executed"]),
    st.uuids().map(str),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def body_for(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    """Mostly objects with the model's own keys, so generation reaches its validators."""
    keys = st.sampled_from(sorted(model.model_fields)) | TEXT
    return st.one_of(JSON, st.dictionaries(keys, JSON, max_size=len(model.model_fields) + 1))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_any_body_validates_or_is_a_validation_error(model: type[BaseModel]) -> None:
    @given(body=body_for(model))
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def check(body: Any) -> None:
        try:
            parsed = model.model_validate(body)
        except ValidationError:
            return
        assert first_text_problem(parsed.model_dump(mode="python")) is None, parsed

    check()


@given(events=st.lists(body_for(EventIn), min_size=1, max_size=3))
@settings(max_examples=30, deadline=None)
def test_event_batches_validate_or_are_a_validation_error(events: list[Any]) -> None:
    try:
        batch = EventBatchIn.model_validate({"events": events})
    except ValidationError:
        return
    assert all(first_text_problem(e.payload) is None for e in batch.events)


STORABLE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.lists(
    st.sampled_from(["\x00", " ", "\x85", "\ufeff", "\x1c", "a", "A", "1", "-", "\n"])
).map("".join)


def schema_accepts(field: dict[str, Any], value: str) -> bool:
    """Whether `value` meets a string field's JSON Schema (pattern, allOf patterns, lengths)."""
    patterns = [field.get("pattern", "")] + [p["pattern"] for p in field.get("allOf", [])]
    # JSON Schema patterns are ECMA-262: `$` matches only at the very end, never before a
    # trailing newline as Python's `$` does ("abc\n" is not a username).
    patterns = [re.sub(r"(?<!\\)\$", r"\\Z", p) for p in patterns]
    return (
        all(re.search(p, value) for p in patterns)
        and len(value) >= field.get("minLength", 0)
        and len(value) <= field.get("maxLength", len(value))
    )


@given(prompt=STORABLE)
@settings(max_examples=60, deadline=None)
def test_prompt_schema_states_what_the_validator_checks(prompt: str) -> None:
    field = TutorRequestCreate.model_json_schema()["properties"]["prompt"]
    try:
        TutorRequestCreate(prompt=prompt)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == schema_accepts(field, prompt)


@given(username=STORABLE, password=STORABLE)
@settings(max_examples=60, deadline=None)
def test_account_schema_states_what_the_validators_check(username: str, password: str) -> None:
    fields = RegisterCreate.model_json_schema()["properties"]
    try:
        RegisterCreate(email="a@example.org", username=username, password="Passw0rd")
        assert schema_accepts(fields["username"], username)
    except ValidationError:
        assert not schema_accepts(fields["username"], username)
    try:
        RegisterCreate(email="a@example.org", username="abc", password=password)
        assert schema_accepts(fields["password"], password)
    except ValidationError as exc:  # the one rule a schema cannot state: bytes, not characters
        too_long = len(password.encode()) > 72
        assert not schema_accepts(fields["password"], password) or too_long, exc
