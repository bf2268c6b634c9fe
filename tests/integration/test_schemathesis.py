"""Schemathesis against the real API over HTTP, as a student and as an instructor.

Requests are generated from the API's own OpenAPI schema (valid and invalid ones) and sent
to a running stack; every answer must be a non-5xx that the schema declares, with a body
of the declared shape, and the API must accept what the schema calls valid and refuse what
it calls invalid. `make test` runs a few hundred requests; FUZZ_FULL=1 (`make faults`) runs
more than 2,000. The count per status code is printed (run pytest with -s to see it).
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from tests.conftest import OwnStack, start_own_stack
from tests.support.api import register_user

FULL = os.environ.get("FUZZ_FULL") == "1"
EXAMPLES = 40 if FULL else 3  # per operation, role and mode (valid / invalid data)
MIN_REQUESTS = 1_000 if FULL else 120  # per role; two roles make the total
LIMITS = {  # rate limits and quotas out of the way; long-polls short
    "REGISTER_RATE_LIMIT": "1000000",
    "LOGIN_RATE_LIMIT": "1000000",
    "DEFAULT_QUOTA_PER_HOUR": "1000000",
    "LONG_POLL_MAX_SECONDS": "1",
}
CHECKS = [
    getattr(schemathesis.checks, name)
    for name in (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "ignored_auth",
    )
]
# Rules no JSON Schema can state, each named in the field's description: a request the
# schema calls valid may be refused (422/400) for exactly these reasons and no other.
UNSTATABLE = (
    "password must be at most 72 bytes",  # bytes in UTF-8, not characters
    "special-use or reserved name",  # email domains such as .test (email-validator)
    "lies in the future",  # compared with the server's clock
    "bytes; at most",  # an event payload's size as JSON
    "must not contain NUL characters",  # deep inside a free-form event payload
    "context is longer than",  # the three context fields together
    "is not allowed in this course",  # the course's tutor policy, set at run time
    "you are not enrolled in course",  # membership, set at run time (events)
    "or you are not a member of it",  # membership under the course rule (events)
    "does not match the course of this session",  # the session's course, at run time
    "you are a member of several courses",  # which course: the caller's memberships
    "is not a session of yours",  # ownership, set at run time (events)
    "current password is incorrect",  # a secret the schema cannot know
    "join code is not valid",  # the course's current code, set at run time
    "is not enabled for courses",  # the admin's TUTOR_MODELS (GET tutor/models)
)
# The fuzz stack runs no hub (HUB_SERVICE_API_URL points at port 9), so the console's
# token exchange can only answer 503 "the hub cannot be reached" to a well-formed body;
# tests/e2e/test_console_hub.py covers it against a real hub. Its validation is fuzzed.
NO_HUB = ("/api/v1/auth/console-token", 503)
LOGOUT = "/api/v1/auth/logout"  # revokes the caller's token: gets a fresh one each time
MY_DATA = "/api/v1/me/data"  # may delete the caller's account: a throwaway student each time


@pytest.fixture(scope="module")
def fuzz_stack(services, fake_llm, output_dir) -> Iterator[OwnStack]:
    with start_own_stack(services, fake_llm, output_dir, extra_env=LIMITS) as own:
        yield own


@pytest.fixture(scope="module")
def world(fuzz_stack: OwnStack) -> dict[str, Any]:
    """A course with a student and an instructor, and ids that exist, for requests to hit."""
    api = fuzz_stack.api
    admin = fuzz_stack.make_user(roles=("admin",))
    student = fuzz_stack.make_user()
    instructor = fuzz_stack.make_user(roles=("instructor",))
    course = api.post(
        "/api/v1/courses",
        json={"code": f"FZ{uuid.uuid4().hex[:6]}", "title": "Fuzzing"},
        headers=admin.headers,
    )
    assert course.status_code == 201, course.text
    course_id = course.json()["id"]
    for user, role in ((student, "student"), (instructor, "instructor")):
        r = api.post(
            f"/api/v1/courses/{course_id}/members",
            json={"user_id": user.id, "role": role},
            headers=admin.headers,
        )
        assert r.status_code == 201, r.text
    ids: dict[str, dict[str, Any]] = {}
    for name, user in (("student", student), ("instructor", instructor)):
        session = api.post(
            "/api/v1/tutor/sessions", json={"course_id": course_id}, headers=user.headers
        )
        asked = api.post(
            "/api/v1/tutor/requests",
            json={"prompt": "Why does my loop never end?", "course_id": course_id},
            headers=user.headers,
        )
        assert session.status_code == 201 and asked.status_code in (200, 202), asked.text
        ids[name] = {
            "course_id": course_id,
            "user_id": user.id,
            "session_id": session.json()["id"],
            "interaction_id": asked.json()["id"],
        }
    return {"student": student, "instructor": instructor, "ids": ids}


def fresh_token(api: httpx.Client, username: str, password: str) -> str:
    r = api.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def unstatable(response: Any) -> bool:
    """Whether a refusal names only rules from UNSTATABLE."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    messages = [str(e.get("msg", "")) for e in body.get("errors") or []] or [
        str(body.get("detail", ""))
    ]
    return all(any(rule in m for rule in UNSTATABLE) for m in messages)


def fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    headers_for: Callable[[str], dict[str, str]],
    real_ids: dict[str, Any],
    statuses: Counter[int],
    problems: list[str],
) -> None:
    """Send EXAMPLES generated requests to one operation, counting statuses and problems."""

    @given(case=operation.as_strategy(generation_mode=mode), use_real_ids=st.booleans())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case: Any, use_real_ids: bool) -> None:
        if use_real_ids and mode is GenerationMode.POSITIVE:  # reach past the 404s, often
            for name in case.path_parameters or {}:
                if name in real_ids and name != "user_id":
                    case.path_parameters[name] = real_ids[name]
        headers = headers_for(operation.path)
        response = case.call(base_url=base_url, headers=headers, timeout=60)
        if (operation.path, response.status_code) == NO_HUB:
            return
        statuses[response.status_code] += 1
        try:
            case.validate_response(
                response,
                checks=CHECKS,
                headers=headers,
                transport_kwargs={"base_url": base_url, "headers": headers},
            )
        except FailureGroup as group:
            for failure in group.exceptions:
                if type(failure).__name__ == "RejectedPositiveData" and unstatable(response):
                    continue
                problems.append(
                    f"{operation.label} [{mode.value}] -> {response.status_code}: "
                    f"{failure.title}\n  {case.as_curl_command(headers=headers)}\n"
                    f"  {response.content[:300]!r}"
                )

    try:
        send()
    except HypothesisException:
        pass  # no invalid data exists for this operation (nothing to break)


@pytest.mark.parametrize("role", ["student", "instructor"])
def test_generated_requests_get_no_5xx_and_answers_match_the_schema(
    fuzz_stack: OwnStack, world: dict[str, Any], role: str
) -> None:
    user = world[role]
    base_url = fuzz_stack.stack.api_url
    token = user.access_token

    def headers_for(path: str) -> dict[str, str]:
        bearer = token
        if path == LOGOUT:
            bearer = fresh_token(fuzz_stack.api, user.username, user.password)
        elif path == MY_DATA:
            bearer = register_user(fuzz_stack.api, fuzz_stack.stack.database_url).access_token
        return {"Authorization": f"Bearer {bearer}"}

    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            args = (base_url, headers_for, world["ids"][role], statuses, problems)
            fuzz_operation(result.ok(), mode, *args)
    total = sum(statuses.values())
    print(f"\nschemathesis as {role}: {total} requests; by status:", dict(sorted(statuses.items())))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:20])
    assert not [s for s in statuses if s >= 500]
    assert total >= MIN_REQUESTS, f"only {total} requests were generated"
