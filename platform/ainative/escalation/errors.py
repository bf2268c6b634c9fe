"""The hand-off's refusals, each with a message safe to show; statuses in api.errors."""

from __future__ import annotations


class EscalationError(Exception):
    """A refusal about a hand-off to a person."""


class EscalationNotFoundError(EscalationError):
    """No such escalation, or not one the caller may see (the same refusal for both)."""

    def __init__(self) -> None:
        super().__init__("escalation not found")


class NotEscalationStaffError(EscalationError):
    """The caller is a member of the escalation's course but not its staff."""

    def __init__(self) -> None:
        super().__init__("requires course role: assistant or instructor")


class EscalationStateError(EscalationError):
    """The escalation is not in a state that allows the action (claimed by another...)."""


class NoCourseError(EscalationError):
    """The conversation belongs to no course: there is no staff to ask."""

    def __init__(self) -> None:
        super().__init__("this conversation belongs to no course, so there is no one to ask")
