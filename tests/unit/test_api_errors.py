"""Domain refusals become HTTP replies in one handler: status by class, message as detail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ainative.auth import errors as auth_errors
from ainative.course.errors import (
    CourseError,
    CourseNotFoundError,
    CoursePermissionError,
    DuplicateCourseError,
    EventError,
    ExperimentError,
)
from ainative.limits.errors import RateLimitedError
from ainative.limits.quota import QuotaStatus
from ainative.limits.ratelimit import RateLimitResult
from ainative.tutor import errors as tutor
from ainative.tutor.course_rule import CourseChoice
from api.errors import STATUS_OF, install_error_handlers

CASES = [
    (auth_errors.DuplicateUserError("taken"), 409),
    (auth_errors.InvalidUserInput("bad"), 422),
    (auth_errors.InvalidCredentialsError("wrong"), 401),
    (auth_errors.InvalidRefreshTokenError("reused"), 401),
    (auth_errors.InactiveUserError("account is deactivated"), 403),
    (auth_errors.IncorrectPasswordError("current password is incorrect"), 400),
    (auth_errors.UserNotFoundError("no user with id 7"), 404),
    (auth_errors.SelfLockoutError("no"), 409),
    (auth_errors.AccessNotUpdatedError("saved, but"), 503),
    (DuplicateCourseError("code taken"), 409),
    (CourseNotFoundError("no such user"), 404),
    (CoursePermissionError("only admins"), 403),
    (CourseError("course role must be"), 422),
    (ExperimentError("arm names must differ"), 409),
    (EventError("session_id: x is not a session of yours"), 422),
    (tutor.InteractionNotFoundError(), 404),
    (tutor.SessionNotFoundError(), 404),
    (tutor.SessionNotFoundError("0b5e"), 404),
    (tutor.NotACourseMemberError(7), 404),
    (tutor.SessionCourseMismatchError(2, 1), 422),
    (tutor.SessionCourseLeftError(1), 422),
    (tutor.ModeNotAllowedError("solution", ["socratic", "hint"]), 422),
    (tutor.BadLastEventIdError(), 422),
]

# The tutor's messages, as clients and the notebook widget have always read them.
TUTOR_MESSAGES = [
    (tutor.InteractionNotFoundError(), "interaction not found"),
    (tutor.SessionNotFoundError(), "session not found"),
    (tutor.SessionNotFoundError("0b5e"), "tutor session 0b5e not found"),
    (tutor.NotACourseMemberError(7), "course 7 not found, or you are not a member of it"),
    (
        tutor.SessionCourseMismatchError(2, 1),
        "course_id 2 does not match the course of this session (1); "
        "leave course_id out or start a new session",
    ),
    (
        tutor.SessionCourseLeftError(1),
        "you are no longer a member of course 1, the course of this session; start a new session",
    ),
    (
        tutor.ModeNotAllowedError("solution", ["socratic", "hint"]),
        "mode 'solution' is not allowed in this course; allowed: socratic, hint",
    ),
    (
        tutor.BadLastEventIdError(),
        "Last-Event-ID is not an event id of this stream; reconnect without it",
    ),
    (
        tutor.QueueUnavailableError(),
        "the tutor queue is unavailable right now; please try again in a minute",
    ),
]


def _client(exc: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/refuse")
    def refuse() -> None:
        raise exc

    return TestClient(app)


@pytest.mark.parametrize(("exc", "status"), CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_domain_error_status_and_detail(exc: Exception, status: int) -> None:
    r = _client(exc).get("/refuse")
    assert r.status_code == status
    assert r.json() == {"detail": str(exc)}
    assert (r.headers.get("www-authenticate") == "Bearer") == (status == 401)


@pytest.mark.parametrize(("exc", "message"), TUTOR_MESSAGES, ids=lambda v: type(v).__name__)
def test_tutor_messages(exc: Exception, message: str) -> None:
    assert str(exc) == message


def test_every_tutor_refusal_has_a_status() -> None:
    """A tutor error class left out of the table would be a 500."""
    listed = {cls for cls, _ in STATUS_OF}
    refusals = {
        cls
        for cls in vars(tutor).values()
        if isinstance(cls, type)
        and issubclass(cls, tutor.TutorError)
        and cls.__module__ == tutor.__name__
        and not cls.__subclasses__()
    }
    assert refusals and refusals <= listed, refusals - listed


def test_several_courses_are_listed_in_the_422() -> None:
    courses = (CourseChoice(1, "CS101", "Programming"), CourseChoice(2, "DS200", "Data"))
    r = _client(tutor.CourseChoiceError(courses)).get("/refuse")
    assert r.status_code == 422
    assert r.json() == {
        "courses": [
            {"id": 1, "code": "CS101", "title": "Programming"},
            {"id": 2, "code": "DS200", "title": "Data"},
        ],
        "detail": "you are a member of several courses; say which one this is for with "
        "course_id: 1 (CS101), 2 (DS200)",
    }
    assert list(r.json()) == ["courses", "detail"]
    assert "retry-after" not in r.headers


def test_quota_refusal_has_its_figures_and_retry_after() -> None:
    resets = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    quota = QuotaStatus(allowed=False, limit=3, used=4, resets_at=resets)
    r = _client(tutor.QuotaExceededError(quota)).get("/refuse")
    assert r.status_code == 429
    assert r.json() == {
        "limit": 3,
        "used": 3,
        "remaining": 0,
        "window_seconds": 3600,
        "resets_at": resets.isoformat(),
        "enforced": True,
        "detail": f"tutor quota used up: 3 questions per hour; refills at {resets:%H:%M} UTC",
    }
    assert 590 <= int(r.headers["retry-after"]) <= 600


def test_queue_unavailable_is_a_503_with_retry_after() -> None:
    r = _client(tutor.QueueUnavailableError()).get("/refuse")
    assert r.status_code == 503 and r.headers["retry-after"] == "30"
    assert r.json() == {"detail": str(tutor.QueueUnavailableError())}


def test_rate_limited_is_a_429_with_retry_after() -> None:
    verdict = RateLimitResult(allowed=False, count=6, limit=5, retry_after=42, scope="login")
    r = _client(RateLimitedError(verdict)).get("/refuse")
    assert r.status_code == 429 and r.headers["retry-after"] == "42"
    assert r.json() == {"detail": "too many login attempts: try again in 42 seconds"}


def test_a_bare_driver_error_of_a_lost_server_is_a_503_with_retry_after() -> None:
    """psycopg2's own OperationalError (raised unwrapped when a connection went back to the
    pool after the server went away) is the same 503 as SQLAlchemy's, never a 500."""
    exc = psycopg2.OperationalError("server closed the connection unexpectedly")
    r = _client(exc).get("/refuse")
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert "database is unavailable" in r.json()["detail"]
