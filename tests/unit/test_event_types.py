"""The event-type registry is the one list: the API's enum, the platform's writers and the
synthetic cohort all use its names."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

import ainative
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


def _is_add_event(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "add_event") or (
        isinstance(node, ast.Name) and node.id == "add_event"
    )


def _written_types(path: Path) -> set[str]:
    """Literal event types given to add_event: add_event(conn, "type", ...) directly, or
    through a runner that supplies the connection, run_db(engine, add_event, "type", ...)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        args = node.args
        at = [1] if _is_add_event(node.func) else []
        at += [i + 1 for i, arg in enumerate(args) if _is_add_event(arg)]
        for i in at:
            if i < len(args) and isinstance(args[i], ast.Constant):
                found.add(args[i].value)
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
