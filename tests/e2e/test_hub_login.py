"""Logging in to the real JupyterHub with platform accounts: password form and token links."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

import httpx
from sqlalchemy import create_engine

from ainative.hub.authenticator import INACTIVE_MESSAGE
from tests.e2e.conftest import AUTH_REFRESH_AGE
from tests.support.factories import make_course


def test_password_login_sets_hub_cookie(hub, make_user):
    user = make_user()
    r = hub.login(user.username, user.password)
    assert r.status_code == 302, r.text[:300]
    client = r.client
    assert any(c.name == "jupyterhub-hub-login" for c in client.cookies.jar)
    me = client.get(
        "/hub/api/user", headers={"X-XSRFToken": client.cookies.get("_xsrf", path="/hub/")}
    )
    assert me.status_code == 200, me.text
    assert me.json()["name"] == user.username.lower()


def test_wrong_password_is_refused(hub, make_user):
    user = make_user()
    r = hub.login(user.username, "Not-the-password-1")
    assert r.status_code == 403
    assert "Invalid username or password" in r.text
    assert not any(c.name == "jupyterhub-hub-login" for c in r.client.cookies.jar)


def test_deactivated_user_is_refused_at_login(hub, make_user, deactivate):
    user = make_user()
    deactivate(user.id)
    r = hub.login(user.username, user.password)
    assert r.status_code == 403
    assert INACTIVE_MESSAGE.split(".")[0] in r.text


def test_deactivated_user_loses_the_hub_after_refresh_age(hub, make_user, deactivate):
    user = make_user()
    client = hub.session(user.username, user.password)
    token = hub.api_token(client, user.username.lower())
    api_auth = {"Authorization": f"token {token}"}
    assert client.get("/hub/home").status_code == 200
    assert httpx.get(f"{hub.url}/hub/api/user", headers=api_auth).status_code == 200
    deactivate(user.id)
    time.sleep(AUTH_REFRESH_AGE + 0.5)
    r = client.get("/hub/home")
    assert r.status_code == 302 and "/hub/login" in r.headers["location"]
    assert httpx.get(f"{hub.url}/hub/api/user", headers=api_auth).status_code == 403


def test_token_login_works_once(hub, api, make_user):
    user = make_user()
    r = api.post("/api/v1/auth/hub-token", headers=user.headers, json={"next": "/hub/home"})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    link = urlsplit(r.json()["login_url"])  # the API's idea of the hub's host may differ
    with httpx.Client(base_url=hub.url, timeout=30) as browser:
        page = browser.get(f"{link.path}?{link.query}")
        assert page.status_code == 200 and 'id="link_owner"' in page.text, page.text[:300]
        xsrf = page.text.split('name="_xsrf" value="')[1].split('"')[0]
        first = browser.post(
            "/hub/login",
            data={"_xsrf": xsrf, "token": token, "confirm": "yes", "next": "/hub/home"},
        )
        assert first.status_code == 302, first.text[:300]
        assert first.headers["location"].endswith("/hub/home")
        assert "token" not in first.headers["location"]
        assert browser.get("/hub/home").status_code == 200
    with httpx.Client(base_url=hub.url, timeout=30) as other:
        replay = other.get("/hub/login", params={"token": token})
        assert replay.status_code == 403
        assert "already been used" in replay.text
        assert not any(c.name == "jupyterhub-hub-login" for c in other.cookies.jar)


def test_forged_token_is_refused(hub):
    r = httpx.get(f"{hub.url}/hub/login", params={"token": "eyJhbGciOiJub25lIn0.e30."}, timeout=30)
    assert r.status_code == 403
    assert "not valid" in r.text


def test_courses_become_groups_and_instructors_see_their_students(hub, make_user, stack):
    student, outsider = make_user(), make_user()
    teacher, admin = make_user(roles=("instructor",)), make_user(roles=("admin",))
    code = f"E2E-{uuid.uuid4().hex[:6]}"
    engine = create_engine(stack.database_url)
    members = [(student.id, "student"), (teacher.id, "instructor")]
    make_course(engine, members=members, code=code, title=code)
    engine.dispose()
    for member in (student, outsider):
        hub.session(member.username, member.password)  # the hub learns them at login
    group = f"course-{code.lower()}"

    def me(user) -> tuple[dict, str]:
        client = hub.session(user.username, user.password)
        token = hub.api_token(client, user.username.lower())
        auth = {"Authorization": f"token {token}"}
        return client.get("/hub/api/user", headers=auth).json(), token

    student_model, _ = me(student)
    assert student_model["groups"] == [group] and student_model["admin"] is False
    teacher_model, teacher_token = me(teacher)
    assert teacher_model["groups"] == [f"staff-{code.lower()}"]
    assert f"instructor-{group}" in teacher_model["roles"]
    auth = {"Authorization": f"token {teacher_token}"}
    seen = httpx.get(f"{hub.url}/hub/api/users/{student.username.lower()}", headers=auth)
    assert seen.status_code == 200, seen.text
    hidden = httpx.get(f"{hub.url}/hub/api/users/{outsider.username.lower()}", headers=auth)
    assert hidden.status_code in (403, 404)
    admin_model, _ = me(admin)
    assert admin_model["admin"] is True and "admin" in admin_model["roles"]
