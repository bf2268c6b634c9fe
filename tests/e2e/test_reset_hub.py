"""One-time password reset links: who may create them, the hub page, single use, expiry,
and every earlier login of the account ended (API tokens and hub session)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from sqlalchemy import create_engine, text

from tests.e2e.signup import make_course
from tests.support.api import invite_and_accept

if TYPE_CHECKING:
    from tests.support.api import TestUser
from tests.support.eventually import eventually

NEW_PASSWORD = "Fresh-start-77"


def enrol(api: httpx.Client, course, student: TestUser) -> None:
    """The course's instructor invites the student, who accepts."""
    invite_and_accept(api, course.id, student, course.staff)


def reset_link(api: httpx.Client, user_id: int, headers: dict[str, str]) -> httpx.Response:
    return api.post(f"/api/v1/users/{user_id}/reset-link", headers=headers)


def open_link(hub, url: str) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=hub.url, timeout=30, follow_redirects=False)
    parts = urlsplit(url)
    return client, client.get(f"{parts.path}?{parts.query}")


def post_reset(client: httpx.Client, token: str, password: str, confirm: str | None = None):
    xsrf = client.cookies.get("_xsrf", path="/hub/")
    data = {"_xsrf": xsrf or "", "token": token, "password": password}
    data["confirm"] = password if confirm is None else confirm
    return client.post("/hub/reset", data=data)


def token_of(url: str) -> str:
    return urlsplit(url).query.removeprefix("token=")


def test_only_admins_and_the_students_own_instructors_create_links(api, make_user) -> None:
    course = make_course(api, make_user)
    student, stranger = make_user(), make_user(roles=("instructor",))
    enrol(api, course, student)
    assert reset_link(api, student.id, course.staff).status_code == 201
    assert reset_link(api, student.id, stranger.headers).status_code == 403
    assert reset_link(api, student.id, make_user().headers).status_code == 403
    # An instructor cannot reset a fellow instructor's password, even in the same course.
    assert reset_link(api, course.staff_id, course.staff).status_code == 403
    admin = make_user(roles=("admin",))
    r = reset_link(api, stranger.id, admin.headers)
    assert r.status_code == 201 and r.json()["reset_url"].startswith("http")


def test_a_link_works_once_and_ends_every_earlier_login(hub, api, make_user) -> None:
    course, student = make_course(api, make_user), make_user()
    enrol(api, course, student)
    hub_session = hub.session(student.username, student.password)
    assert hub_session.get("/hub/home").status_code == 200

    r = reset_link(api, student.id, course.staff)
    assert r.status_code == 201, r.text
    url = r.json()["reset_url"]
    assert "/hub/reset?token=" in url  # on HUB_PUBLIC_URL (the shared API's is not this hub)
    client, page = open_link(hub, url)
    assert page.status_code == 200 and student.username in page.text
    assert "at least 8 characters" in page.text and page.headers["referrer-policy"] == "no-referrer"

    token = token_of(url)
    weak = post_reset(client, token, "weak")
    assert weak.status_code == 422 and 'id="password_error"' in weak.text
    differ = post_reset(client, token, NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    assert differ.status_code == 422 and "differ" in differ.text
    done = post_reset(client, token, NEW_PASSWORD)
    assert done.status_code == 200 and 'id="reset_done"' in done.text

    again = post_reset(client, token, "Another-one-88")
    assert again.status_code == 410 and "already been used" in again.text
    _, reopened = open_link(hub, url)
    assert reopened.status_code == 410 and "already been used" in reopened.text

    # Every earlier login ends: refresh token, live access token, hub session.
    refresh = api.post("/api/v1/auth/refresh", json={"refresh_token": student.refresh_token})
    assert refresh.status_code == 401
    assert api.get("/api/v1/auth/me", headers=student.headers).status_code == 401
    assert eventually(lambda: hub_session.get("/hub/home").status_code != 200, 60, interval=0.5), (
        "the hub session outlived the password reset"
    )
    assert hub.login(student.username, student.password).status_code != 302
    assert hub.login(student.username, NEW_PASSWORD).status_code == 302


def test_an_expired_link_is_refused(hub, api, make_user) -> None:
    course, student = make_course(api, make_user), make_user()
    enrol(api, course, student)
    r = reset_link(api, student.id, course.staff)
    assert r.status_code == 201
    expires = r.json()["expires_at"]
    assert r.json()["user_id"] == student.id and expires
    engine = create_engine(hub.stack.database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE password_resets SET expires_at = now() - interval '1 second' "
                "WHERE user_id = :u"
            ),
            {"u": student.id},
        )
    engine.dispose()
    client, page = open_link(hub, r.json()["reset_url"])
    assert page.status_code == 410 and "expired" in page.text
    refused = post_reset(client, token_of(r.json()["reset_url"]), NEW_PASSWORD)
    assert refused.status_code == 410 and "expired" in refused.text
    assert hub.login(student.username, student.password).status_code == 302  # unchanged
