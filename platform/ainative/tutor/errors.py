"""The tutor's refusals: one class per refusal, each with a message safe to show and the
domain data a reply needs. The HTTP status of each class is in api.errors, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ainative.limits.quota import QuotaStatus
    from ainative.tutor.course_rule import CourseChoice


class TutorError(Exception):
    """A tutor refusal; its message is safe to show to the caller."""


class InteractionNotFoundError(TutorError):
    """No such interaction, or not one the caller may read (the same refusal for both)."""

    def __init__(self) -> None:
        super().__init__("interaction not found")


class SessionNotFoundError(TutorError):
    """No such tutor session, or not the caller's."""

    def __init__(self, session_id: Any = None) -> None:
        self.session_id = session_id
        named = "session" if session_id is None else f"tutor session {session_id}"
        super().__init__(f"{named} not found")


class AiWindowClosedError(TutorError):
    """An AI window `off` covers the question's notebook (or the whole course) now; no LLM
    was called. `ends_at` is when the tutor opens again (None: until staff reopen it)."""

    def __init__(self, ends_at: str | None) -> None:
        self.ends_at = ends_at
        until = f"until {ends_at}" if ends_at else "until your course staff open it again"
        super().__init__(f"The tutor is switched off for this notebook {until}.")


class ModeNotAllowedError(TutorError):
    """The course's policy does not allow the question's mode."""

    def __init__(self, mode: str, allowed: Sequence[str]) -> None:
        self.mode, self.allowed = mode, tuple(allowed)
        super().__init__(
            f"mode '{mode}' is not allowed in this course; allowed: {', '.join(allowed)}"
        )


class QuotaExceededError(TutorError):
    """The caller's hourly questions are used up; `retry_after` seconds until the refill."""

    def __init__(self, quota: QuotaStatus) -> None:
        self.quota = quota
        self.retry_after = quota.retry_after  # as at the refusal, not when it is answered
        super().__init__(quota.detail())


class QueueUnavailableError(TutorError):
    """The question could not be queued; asking again after `retry_after` seconds may work."""

    def __init__(self, retry_after: int = 30) -> None:
        self.retry_after = retry_after
        super().__init__("the tutor queue is unavailable right now; please try again in a minute")


class BadLastEventIdError(TutorError):
    """A stream's Last-Event-ID that is not an entry id of a stream."""

    def __init__(self) -> None:
        super().__init__("Last-Event-ID is not an event id of this stream; reconnect without it")


class CourseRuleError(TutorError):
    """The request's course cannot be decided under the course rule (tutor.course_rule)."""


class NotACourseMemberError(CourseRuleError):
    """The named course does not exist or the caller is not a member of it."""

    def __init__(self, course_id: int) -> None:
        self.course_id = course_id
        super().__init__(f"course {course_id} not found, or you are not a member of it")


class SessionCourseMismatchError(CourseRuleError):
    """The named course is not the course of the named session."""

    def __init__(self, course_id: int, session_course: int) -> None:
        self.course_id, self.session_course = course_id, session_course
        super().__init__(
            f"course_id {course_id} does not match the course of this session "
            f"({session_course}); leave course_id out or start a new session"
        )


class SessionCourseLeftError(CourseRuleError):
    """The caller has left the course of the session they continue."""

    def __init__(self, session_course: int) -> None:
        self.session_course = session_course
        super().__init__(
            f"you are no longer a member of course {session_course}, the course of this "
            "session; start a new session"
        )


class CourseChoiceError(CourseRuleError):
    """The caller is a member of several courses and named none; `courses` lists them."""

    def __init__(self, courses: Sequence[CourseChoice]) -> None:
        self.courses = tuple(courses)
        listing = ", ".join(f"{c.id} ({c.code})" for c in courses)
        super().__init__(
            "you are a member of several courses; say which one this is for with course_id: "
            + listing
        )
