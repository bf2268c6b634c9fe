"""The staff console behind a real hub: who gets in, and the console token's exchange.

Issue 21: after a hub login an instructor gets 200 with their courses, a student 403,
and nobody without a login reaches a page (the hub's login instead). The API's
POST /api/v1/auth/console-token accepts only a token the hub issued to the console's
OAuth client (attack tests: a student's own hub API token, a forged one).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from tests.e2e.console import console_oauth_token
from tests.support.factories import make_course

CONSOLE_TOKEN = "/api/v1/auth/console-token"


def test_an_instructor_sees_their_courses(console, db, make_user) -> None:
    instructor = make_user(roles=("student", "instructor"))
    mine = make_course(db, members=[(instructor.id, "instructor")], title="Console course A")
    make_course(db, title="Somebody else's course")
    client = console.session(instructor.username, instructor.password)
    r = client.get(console.url)
    assert r.status_code == 200, r.text[:500]
    assert urlsplit(str(r.url)).path == "/services/console/"
    assert "Console course A" in r.text and f"courses/{mine}" in r.text
    assert "Somebody else" not in r.text


def test_a_student_gets_403(console, db, make_user) -> None:
    student = make_user()
    make_course(db, members=[(student.id, "student")])
    r = console.session(student.username, student.password).get(console.url)
    assert r.status_code == 403
    assert "This page is for course staff." in r.text
    assert "Traceback" not in r.text


def test_without_a_login_the_console_sends_you_to_the_hub_login(console) -> None:
    r = httpx.get(console.url, follow_redirects=True, timeout=30)
    assert r.status_code == 200
    assert urlsplit(str(r.url)).path == "/hub/login"


def test_a_console_oauth_token_buys_a_console_token(console, make_user) -> None:
    instructor = make_user(roles=("student", "instructor"))
    client = console.hub.session(instructor.username, instructor.password)
    hub_token = console_oauth_token(console.hub, client)
    api = httpx.Client(base_url=console.api.api_url, timeout=30)
    r = api.post(CONSOLE_TOKEN, json={"hub_token": hub_token})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["expires_in"] > 0
    # scope "console": the account's own routes are closed to it
    me = api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 403 and "console" in me.json()["detail"]


def test_attack_a_students_own_hub_token_is_refused(console, make_user) -> None:
    student = make_user()
    client = console.hub.session(student.username, student.password)
    own = console.hub.api_token(client, student.username.lower())
    assert (
        httpx.get(
            f"{console.hub.url}/hub/api/user", headers={"Authorization": f"token {own}"}
        ).status_code
        == 200
    )  # a real, valid hub token of the student's
    r = httpx.post(f"{console.api.api_url}{CONSOLE_TOKEN}", json={"hub_token": own}, timeout=30)
    assert r.status_code == 401, r.text
    assert "console" in r.json()["detail"]


def test_attack_a_forged_token_is_refused(console) -> None:
    r = httpx.post(
        f"{console.api.api_url}{CONSOLE_TOKEN}", json={"hub_token": "f" * 32}, timeout=30
    )
    assert r.status_code == 401, r.text


def test_a_deactivated_account_gets_no_console_token(console, make_user, deactivate) -> None:
    instructor = make_user(roles=("student", "instructor"))
    client = console.hub.session(instructor.username, instructor.password)
    hub_token = console_oauth_token(console.hub, client)
    deactivate(instructor.id)
    r = httpx.post(
        f"{console.api.api_url}{CONSOLE_TOKEN}", json={"hub_token": hub_token}, timeout=30
    )
    assert r.status_code in (401, 403), r.text  # the hub forgets the user, or the API refuses
    deactivate(instructor.id, True)


def test_an_unreachable_hub_is_503_with_retry_after(api) -> None:
    """The shared stack's API points at no hub (HUB_SERVICE_API_URL: port 9)."""
    r = api.post(CONSOLE_TOKEN, json={"hub_token": "a" * 32})
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) > 0
