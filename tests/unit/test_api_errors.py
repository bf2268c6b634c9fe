"""Domain refusals become HTTP replies in one handler: status by class, message as detail."""

from __future__ import annotations

import psycopg2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ainative.auth import errors as auth_errors
from ainative.course.courses import (
    CourseError,
    CourseNotFoundError,
    CoursePermissionError,
    DuplicateCourseError,
)
from ainative.course.events import EventError
from ainative.tutor.submit import TutorError
from api.errors import install_error_handlers

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
    (EventError("session_id: x is not a session of yours"), 422),
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


def test_tutor_error_keeps_its_extra_fields_and_headers() -> None:
    exc = TutorError(429, "quota used up", {"Retry-After": "12"}, {"limit": 3, "remaining": 0})
    r = _client(exc).get("/refuse")
    assert r.status_code == 429
    assert r.json() == {"limit": 3, "remaining": 0, "detail": "quota used up"}
    assert r.headers["retry-after"] == "12"


def test_tutor_error_without_extra_is_a_plain_detail() -> None:
    r = _client(TutorError(404, "session not found")).get("/refuse")
    assert r.status_code == 404 and r.json() == {"detail": "session not found"}
    assert "retry-after" not in r.headers


def test_a_bare_driver_error_of_a_lost_server_is_a_503_with_retry_after() -> None:
    """psycopg2's own OperationalError (raised unwrapped when a connection went back to the
    pool after the server went away) is the same 503 as SQLAlchemy's, never a 500."""
    exc = psycopg2.OperationalError("server closed the connection unexpectedly")
    r = _client(exc).get("/refuse")
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert "database is unavailable" in r.json()["detail"]
