"""The event-type registry is the one list: the API's enum, the platform's writers and the
synthetic cohort all use its names."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

import ainative
from ainative.course import event_types
from ainative.course.event_types import (
    CLIENT_EVENT_TYPES,
    EVENT_TYPE_NAMES,
    get_event_type,
)
from api.schemas.events import EventIn, EventLimitsPublic


def test_the_api_accepts_exactly_the_client_types() -> None:
    schema = EventIn.model_json_schema()
    assert schema["properties"]["type"]["enum"] == list(CLIENT_EVENT_TYPES)
    assert EventLimitsPublic(consent=True).event_types == list(CLIENT_EVENT_TYPES)
    assert set(CLIENT_EVENT_TYPES) < set(EVENT_TYPE_NAMES)
    assert not get_event_type("interaction.rated").client


def test_an_unknown_name_is_refused_with_the_choices() -> None:
    with pytest.raises(
        KeyError, match="unknown event type 'cell.ran': choose one of cell.executed"
    ):
        get_event_type("cell.ran")


def _mentions_add_event(node: ast.expr) -> bool:
    """add_event itself, repo.add_event, or add_event wrapped (on_connection(repo.add_event))."""
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "add_event")
        or (isinstance(n, ast.Name) and n.id == "add_event")
        for n in ast.walk(node)
    )


def _type_named(node: ast.expr) -> str | None:
    """The event type an argument names: a literal, or a constant of ainative.course.event_types."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    value = getattr(event_types, name, None) if isinstance(name, str) and name.isupper() else None
    return value if isinstance(value, str) else None


def _written_types(path: Path) -> set[str]:
    """Event types given to add_event: add_event(conn, TYPE, ...) directly, or through a
    runner that supplies the connection, db(on_connection(add_event), TYPE, ...)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        args = node.args
        at = [1] if _mentions_add_event(node.func) else []
        at += [i + 1 for i, arg in enumerate(args) if _mentions_add_event(arg)]
        for i in at:
            if i < len(args) and (named := _type_named(args[i])) is not None:
                found.add(named)
    return found


def test_every_event_the_platform_writes_is_registered() -> None:
    core = Path(ainative.__file__).parent
    written = set().union(*(_written_types(p) for p in core.rglob("*.py")))
    assert {"session.start", "interaction.rated", "quota.exceeded"} <= written
    assert written <= set(EVENT_TYPE_NAMES)


def test_the_synthetic_cohort_writes_registered_types() -> None:
    from analytics.synth import CohortSpec, generate

    cohort = generate(CohortSpec(students=3, days=2, seed=1, end=datetime(2026, 3, 1, tzinfo=UTC)))
    assert {e["event_type"] for e in cohort.events} == {"cell.executed"}
