"""The mode registry is the one list: the CHECK constraint, the migration and the API read it."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import ainative.db
from ainative.db.models import Interaction
from ainative.tutor.modes import DEFAULT_MODE, MODE_NAMES, ModeName, all_modes, get_mode
from api.schemas.courses import TutorPolicy
from api.schemas.tutor import TutorRequestCreate

EXPECTED_CHECK = "mode IN ('socratic', 'explanatory', 'hints', 'metacognitive')"


def test_registry_names_default_and_lookup_agree() -> None:
    assert MODE_NAMES == ("socratic", "explanatory", "hints", "metacognitive")
    assert tuple(mode.name for mode in all_modes()) == MODE_NAMES
    assert DEFAULT_MODE in MODE_NAMES
    assert all(get_mode(name).name == name for name in MODE_NAMES)
    assert all(mode.title and mode.label and mode.instructions for mode in all_modes())
    with pytest.raises(KeyError, match="choose one of socratic, explanatory, hints"):
        get_mode("oracle")


def _check_of(constraints: Iterable[Any], name: str) -> str:
    found = [str(c.sqltext) for c in constraints if c.name == name]
    assert len(found) == 1, found
    return found[0]


def test_model_and_migration_build_the_same_check_from_the_registry() -> None:
    model_check = _check_of(Interaction.__table__.constraints, "ck_interactions_mode")
    assert model_check == EXPECTED_CHECK
    path = Path(ainative.db.__file__).parent / "migrations" / "versions" / "0001_initial.py"
    spec = importlib.util.spec_from_file_location("migration_0001", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration._MODE_CHECK == EXPECTED_CHECK


def test_api_schemas_accept_the_registry_and_list_it_in_openapi() -> None:
    assert ModeName.__args__ == MODE_NAMES
    assert TutorRequestCreate(prompt="why?").mode == DEFAULT_MODE
    assert TutorRequestCreate.model_json_schema()["properties"]["mode"]["enum"] == list(MODE_NAMES)
    items = TutorPolicy.model_json_schema()["properties"]["allowed_modes"]["items"]
    assert items["enum"] == list(MODE_NAMES)
    assert TutorPolicy().allowed_modes == list(MODE_NAMES)
    assert TutorPolicy(allowed_modes=["hints", "socratic", "hints"]).allowed_modes == [
        "socratic",
        "hints",
    ]


def test_an_unknown_mode_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(ValidationError) as refused:
        TutorRequestCreate(prompt="why?", mode="oracle")
    message = refused.value.errors()[0]["msg"]
    assert message == "Input should be 'socratic', 'explanatory', 'hints' or 'metacognitive'"
    with pytest.raises(ValidationError, match="Input should be 'socratic'"):
        TutorPolicy(allowed_modes=["oracle"])
