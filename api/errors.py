"""Error replies, in one place: domain refusals become HTTP statuses, validation errors a 422
whose message a student can read.

Services raise their own errors (ainative.<package>.errors: one class per refusal) with a
message safe to show; routes do not catch them: one handler replies, with the status
listed here for each class (STATUS_OF) and the extra body fields or headers a few carry.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import psycopg2
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ainative.auth import errors as auth_errors
from ainative.course.errors import (
    CourseError,
    CourseNotFoundError,
    CoursePermissionError,
    DuplicateAssignmentError,
    DuplicateCourseError,
    EventError,
    ExperimentError,
)
from ainative.escalation import errors as escalation
from ainative.limits.errors import RateLimitedError
from ainative.lti.errors import RosterError
from ainative.observability.metrics import UNAVAILABLE
from ainative.observability.metrics_auth import MetricsNetworkError, MetricsTokenError
from ainative.tutor import errors as tutor

log = logging.getLogger(__name__)
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}

# A backing service out of reach is a 503 the client may retry, never a 500.
# cause, seconds to suggest in Retry-After, what the caller reads
UNAVAILABLE_OF: tuple[tuple[type[Exception], str, int, str], ...] = (
    (PoolTimeoutError, "db_pool", 2, "the tutor is very busy right now; please retry shortly"),
    (
        OperationalError,
        "database",
        5,
        "the database is unavailable right now; please retry shortly",
    ),
    (InterfaceError, "database", 5, "the database is unavailable right now; please retry shortly"),
    # The server went away during a statement (a restart): psycopg2 calls that a
    # DatabaseError, not an OperationalError; the connection is then invalidated.
    (DBAPIError, "database", 5, "the database is unavailable right now; please retry shortly"),
    # The driver's own error, where SQLAlchemy did not wrap it (returning a connection to
    # the pool after the server went away raised one: tests/faults, postgres_restart).
    (
        psycopg2.OperationalError,
        "database",
        5,
        "the database is unavailable right now; please retry shortly",
    ),
    (
        psycopg2.InterfaceError,
        "database",
        5,
        "the database is unavailable right now; please retry shortly",
    ),
    (RedisConnectionError, "redis", 5, "a service is unavailable right now; please retry shortly"),
    (RedisTimeoutError, "redis", 5, "a service is unavailable right now; please retry shortly"),
)

# Most specific class first: the first isinstance match wins.
STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (auth_errors.DuplicateUserError, status.HTTP_409_CONFLICT),
    (auth_errors.RegistrationClosedError, status.HTTP_403_FORBIDDEN),
    (auth_errors.InvalidJoinCodeError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (auth_errors.InvalidUserInput, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (auth_errors.InvalidCredentialsError, status.HTTP_401_UNAUTHORIZED),
    (auth_errors.InvalidRefreshTokenError, status.HTTP_401_UNAUTHORIZED),
    (auth_errors.InvalidServerKeyError, status.HTTP_401_UNAUTHORIZED),
    (auth_errors.InvalidHubTokenError, status.HTTP_401_UNAUTHORIZED),
    (auth_errors.HubUnavailableError, status.HTTP_503_SERVICE_UNAVAILABLE),
    (auth_errors.InactiveUserError, status.HTTP_403_FORBIDDEN),
    (auth_errors.IncorrectPasswordError, status.HTTP_400_BAD_REQUEST),
    (auth_errors.UserNotFoundError, status.HTTP_404_NOT_FOUND),
    (auth_errors.SelfLockoutError, status.HTTP_409_CONFLICT),
    (auth_errors.AccessNotUpdatedError, status.HTTP_503_SERVICE_UNAVAILABLE),
    (DuplicateCourseError, status.HTTP_409_CONFLICT),
    (DuplicateAssignmentError, status.HTTP_409_CONFLICT),
    (CourseNotFoundError, status.HTTP_404_NOT_FOUND),
    (CoursePermissionError, status.HTTP_403_FORBIDDEN),
    (CourseError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (ExperimentError, status.HTTP_409_CONFLICT),
    (EventError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (RateLimitedError, status.HTTP_429_TOO_MANY_REQUESTS),
    (RosterError, status.HTTP_409_CONFLICT),
    (tutor.InteractionNotFoundError, status.HTTP_404_NOT_FOUND),
    (tutor.SessionNotFoundError, status.HTTP_404_NOT_FOUND),
    (tutor.NotACourseMemberError, status.HTTP_404_NOT_FOUND),
    (tutor.SessionCourseMismatchError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (tutor.SessionCourseLeftError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (tutor.CourseChoiceError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (tutor.ModeNotAllowedError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (tutor.AiWindowClosedError, status.HTTP_403_FORBIDDEN),
    (tutor.BadLastEventIdError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (tutor.QuotaExceededError, status.HTTP_429_TOO_MANY_REQUESTS),
    (tutor.QueueUnavailableError, status.HTTP_503_SERVICE_UNAVAILABLE),
    (MetricsTokenError, status.HTTP_401_UNAUTHORIZED),
    (MetricsNetworkError, status.HTTP_404_NOT_FOUND),
    (escalation.EscalationNotFoundError, status.HTTP_404_NOT_FOUND),
    (escalation.NotEscalationStaffError, status.HTTP_403_FORBIDDEN),
    (escalation.EscalationStateError, status.HTTP_409_CONFLICT),
    (escalation.NoCourseError, status.HTTP_422_UNPROCESSABLE_CONTENT),
)
DOMAIN_ERRORS = (
    auth_errors.UserError,
    CourseError,
    ExperimentError,
    EventError,
    RateLimitedError,
    RosterError,
    tutor.TutorError,
    MetricsTokenError,
    MetricsNetworkError,
    escalation.EscalationError,
)


def status_of(exc: Exception) -> int:
    for cls, code in STATUS_OF:
        if isinstance(exc, cls):
            return code
    raise LookupError(f"no HTTP status for {type(exc).__name__}") from exc


def extra_fields(exc: Exception) -> dict[str, Any]:
    """Body fields beside `detail`: the courses to choose from, the quota's figures."""
    if isinstance(exc, tutor.CourseChoiceError):
        return {"courses": [c.public() for c in exc.courses]}
    if isinstance(exc, tutor.QuotaExceededError):
        return exc.quota.public()
    if isinstance(exc, tutor.AiWindowClosedError):
        return {"ai_window": "off", "until": exc.ends_at}  # the widget says until when
    return {}


def headers_of(exc: Exception, code: int) -> dict[str, str] | None:
    """Retry-After for a refusal that says when to retry; WWW-Authenticate for a 401."""
    if isinstance(exc, RateLimitedError):
        return {"Retry-After": str(exc.verdict.retry_after)}
    if isinstance(
        exc,
        (tutor.QuotaExceededError, tutor.QueueUnavailableError, auth_errors.HubUnavailableError),
    ):
        return {"Retry-After": str(exc.retry_after)}
    return UNAUTHORIZED_HEADERS if code == status.HTTP_401_UNAUTHORIZED else None


async def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A service's refusal: its message as `detail`, with the status of its class."""
    code = status_of(exc)
    body = {**extra_fields(exc), "detail": str(exc)}
    return JSONResponse(body, status_code=code, headers=headers_of(exc, code))


async def unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After for an exhausted pool or a service that cannot be reached."""
    for cls, cause, retry_after, message in UNAVAILABLE_OF:
        if isinstance(exc, cls) and _lost_connection(exc):
            UNAVAILABLE.labels(cause).inc()
            log.warning("503 (%s): %s", cause, type(exc).__name__)
            return JSONResponse(
                {"detail": message}, status_code=503, headers={"Retry-After": str(retry_after)}
            )
    raise exc


def _lost_connection(exc: Exception) -> bool:
    """A database error other than Operational/InterfaceError is a 503 only when the
    connection broke under it; any other (bad SQL, bad data) stays an error of ours."""
    if isinstance(exc, DBAPIError) and not isinstance(exc, (OperationalError, InterfaceError)):
        return bool(exc.connection_invalidated)
    return True


def _describe(error: Mapping[str, Any]) -> str:
    location = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
    message = str(error.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise TypeError(f"not a RequestValidationError: {exc!r}") from exc
    errors = exc.errors()
    readable = "; ".join(_describe(e) for e in errors) or "the request is malformed"
    details = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in errors
    ]
    return JSONResponse(status_code=422, content={"detail": readable, "errors": details})


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI schema lists for every path template matching `path`."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods.update(m.upper() for m in operations if m != "parameters")
    return sorted(methods)


async def method_not_allowed_handler(request: Request, exc: Exception) -> JSONResponse:
    """405 whose Allow header names every method of the path.

    Starlette names only the methods of the first route that matched the path, so
    `OPTIONS /api/v1/auth/me` said `Allow: GET` although PATCH works too (found by fuzzing).
    """
    headers = dict(getattr(exc, "headers", None) or {})
    methods = allowed_methods(request.app, request.url.path)
    if methods:
        headers["Allow"] = ", ".join(methods)
    detail = exc.detail if isinstance(exc, StarletteHTTPException) else "Method Not Allowed"
    return JSONResponse({"detail": detail}, status_code=405, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(405, method_not_allowed_handler)
    for cls in DOMAIN_ERRORS:
        app.add_exception_handler(cls, domain_error_handler)
    for unavailable, *_ in UNAVAILABLE_OF:
        app.add_exception_handler(unavailable, unavailable_handler)
