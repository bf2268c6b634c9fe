"""Finding 2 of issue 11: an instructor's hub role never reaches an admin's server.

An admin enrolled as a student of a course (only admins can do that now) used to join the
course's hub group, whose servers the course's instructors may open. After the hub's group
sync (login), the admin is in the staff group instead: the hub refuses the instructor's
browser at the OAuth step of the admin's running server, while it still lets them on to
their student's.
"""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.jupyter import start_server, stop_server


def test_attack_instructor_opens_an_admins_server(hub, api, make_user):
    admin, teacher, student = (
        make_user(roles=("admin",)),
        make_user(roles=("instructor",)),
        make_user(),
    )
    r = api.post(
        "/api/v1/courses",
        json={"code": f"REACH-{uuid.uuid4().hex[:6]}", "title": "Reach"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    members = f"/api/v1/courses/{r.json()['id']}/members"
    for body in (
        {"user_id": teacher.id, "role": "instructor"},
        {"user_id": admin.id, "role": "student"},
        {"user_id": student.id, "role": "student"},
    ):
        assert api.post(members, json=body, headers=admin.headers).status_code == 201

    tokens, browsers, servers = {}, {}, {}
    for user in (admin, student, teacher):  # each login syncs the user's hub groups
        name = user.username.lower()
        browsers[name] = hub.session(user.username, user.password)
        tokens[name] = hub.api_token(browsers[name], name)
    try:
        for user in (admin, student):
            name = user.username.lower()
            servers[name] = start_server(hub.url, name, tokens[name])
        instructor = browsers[teacher.username.lower()]
        admin_name, student_name = admin.username.lower(), student.username.lower()
        # A browser opening a server goes through the hub's OAuth authorize step, where
        # the hub checks access:servers (group filters resolved) before any page shows.
        mine = instructor.get(f"/user/{student_name}/lab", follow_redirects=True)
        assert mine.status_code == 200, mine.text[:300]
        assert "/hub/api/oauth2/authorize" in str(mine.url) and "Authorize" in mine.text
        theirs = instructor.get(f"/user/{admin_name}/lab", follow_redirects=True)
        assert theirs.status_code == 403, theirs.text[:300]
        assert "You do not have permission" in theirs.text
        auth = {"Authorization": f"token {tokens[teacher.username.lower()]}"}
        listed = httpx.get(f"{hub.url}/hub/api/users/{admin_name}", headers=auth, timeout=30)
        assert listed.status_code in (403, 404)
        seen = httpx.get(f"{hub.url}/hub/api/users/{student_name}", headers=auth, timeout=30)
        assert seen.status_code == 200
    finally:
        for name in servers:
            stop_server(hub.url, name, tokens[name])
