"""The course package's refusals, each with a message safe to show to the caller.

The HTTP status of each class is in api.errors, not here.
"""

from __future__ import annotations


class CourseError(Exception):
    """A refusal about a course or its members (a role that does not exist...)."""


class DuplicateCourseError(CourseError):
    """The course code is taken."""


class CourseNotFoundError(CourseError):
    """No such user, or no such member of the course."""


class CoursePermissionError(CourseError):
    """The caller's role in the course does not allow the change."""


class ExperimentError(Exception):
    """An experiment that cannot start as asked (a name taken, one already running...)."""


class EventError(Exception):
    """A batch of research events refused as a whole."""


class InvitationNotFoundError(CourseNotFoundError):
    """No such invitation for the caller (never someone else's)."""


class ModelNotEnabledError(CourseError):
    """A tutor policy names a model the admin did not enable (TUTOR_MODELS)."""


class StaffReadingError(CoursePermissionError):
    """The course shows its staff totals only (policy staff_reading = aggregates)."""


class AssignmentNotFoundError(CourseNotFoundError):
    """No such assignment (or AI window) in the course."""


class DuplicateAssignmentError(CourseError):
    """The course already has an assignment for that notebook."""
