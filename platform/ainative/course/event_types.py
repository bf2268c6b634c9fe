"""The research event types: the one registry every list of event-type names is read from.

An event's `event_type` column holds one of these names. Clients (the notebook's kernel
extension) may send the `client` ones through POST /api/v1/events/batch; the others
are written by the platform itself (the API, the tutor) or, for course-level rows
without a student, by course staff's tools. The API's schema, the analytics loaders,
measures and exports, and the synthetic-cohort generator all read the names from here,
so a new type is added in this file. This module imports nothing from the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal


@dataclass(frozen=True)
class EventType:
    """One event type: who may write it and what one row records."""

    name: str
    client: bool
    description: str


CELL_EXECUTED = "cell.executed"
NOTEBOOK_OPENED = "notebook.opened"
WIDGET_OPENED = "widget.opened"
SESSION_START = "session.start"
SESSION_END = "session.end"
INTERACTION_RATED = "interaction.rated"
QUOTA_EXCEEDED = "quota.exceeded"
COURSE_DEADLINE = "course.deadline"
AI_WINDOW_REFUSED = "ai_window.refused"

_TYPES = (
    EventType(
        CELL_EXECUTED,
        True,
        "a notebook cell ran: payload code, success, execution_count, error_type, error_message",
    ),
    EventType(NOTEBOOK_OPENED, True, "the student opened a notebook"),
    EventType(WIDGET_OPENED, True, "the student opened the tutor widget"),
    EventType(SESSION_START, True, "a tutor session began (payload: client)"),
    EventType(SESSION_END, True, "a tutor session ended (payload: client)"),
    EventType(
        INTERACTION_RATED, False, "the student rated an answer (payload: helpful, score, comment)"
    ),
    EventType(QUOTA_EXCEEDED, False, "a question was refused by the quota (payload: limit, mode)"),
    EventType(
        AI_WINDOW_REFUSED,
        False,
        "a question was refused by an AI window `off` (payload: notebook_path, ends_at, mode)",
    ),
    EventType(COURSE_DEADLINE, False, "a course deadline, without a student (payload: title)"),
)
_BY_NAME = {t.name: t for t in _TYPES}

EVENT_TYPE_NAMES: tuple[str, ...] = tuple(_BY_NAME)
"""Every event-type name, in registry order."""

CLIENT_EVENT_TYPES: tuple[str, ...] = tuple(t.name for t in _TYPES if t.client)
"""What a client may send, in the order of the API's enum."""

if TYPE_CHECKING:
    ClientEventType = str
else:
    # Built from the registry: pydantic's 422 and the OpenAPI enum list exactly these names.
    ClientEventType = Literal[CLIENT_EVENT_TYPES]


def get_event_type(name: str) -> EventType:
    """The event type called `name`; KeyError names the valid ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        choices = ", ".join(EVENT_TYPE_NAMES)
        raise KeyError(f"unknown event type {name!r}: choose one of {choices}") from None


def all_event_types() -> tuple[EventType, ...]:
    """Every event type, in the order of EVENT_TYPE_NAMES."""
    return _TYPES
