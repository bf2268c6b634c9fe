"""Issue 20, finding 3: a reset link is checked again when it is used, not only when made.

Each attack makes a link for a student while it is allowed, then changes what made it
allowed: the student is promoted (the link would set an admin's password), leaves the
course, changes their own password; the creator is demoted; or a newer link is issued.
The old link must then be refused by the hub's reset page, both when opened and when
posted, and the account's password stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.signup import JoinCourse, make_course
from tests.e2e.test_reset_hub import NEW_PASSWORD, open_link, post_reset, reset_link, token_of

if TYPE_CHECKING:
    from tests.support.api import TestUser


def admin_enrols(api: httpx.Client, admin: TestUser, course: JoinCourse, student: TestUser) -> None:
    body = {"user_id": student.id, "role": "student"}
    r = api.post(f"/api/v1/courses/{course.id}/members", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text


def promote_student(api, admin, course, student) -> None:
    body = {"roles": ["student", "admin"]}
    r = api.patch(f"/api/v1/users/{student.id}", json=body, headers=admin.headers)
    assert r.status_code == 200, r.text


def student_leaves(api, admin, course, student) -> None:
    url = f"/api/v1/courses/{course.id}/members/{student.id}"
    assert api.delete(url, headers=admin.headers).status_code == 204


def student_changes_password(api, admin, course, student) -> None:
    body = {"current_password": student.password, "new_password": "Own-choice-55"}
    r = api.post("/api/v1/auth/change-password", json=body, headers=student.headers)
    assert r.status_code == 204, r.text
    student.password = "Own-choice-55"


def creator_demoted(api, admin, course, student) -> None:
    r = api.patch(
        f"/api/v1/users/{course.staff_id}", json={"roles": ["student"]}, headers=admin.headers
    )
    assert r.status_code == 200, r.text


CHANGES: dict[str, Callable[[httpx.Client, TestUser, JoinCourse, TestUser], Any]] = {
    "promoted": promote_student,
    "left the course": student_leaves,
    "changed password": student_changes_password,
    "creator demoted": creator_demoted,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_attack_reset_link_used_after_the_account_or_its_creator_changed(
    hub, api, make_user, change: str
) -> None:
    course, student, admin = make_course(api, make_user), make_user(), make_user(roles=("admin",))
    admin_enrols(api, admin, course, student)
    r = reset_link(api, student.id, course.staff)
    assert r.status_code == 201, r.text
    url = r.json()["reset_url"]
    CHANGES[change](api, admin, course, student)

    client, page = open_link(hub, url)
    assert page.status_code == 410, f"the link still opens after: {change}"
    assert "no longer applies" in page.text
    refused = post_reset(client, token_of(url), NEW_PASSWORD)
    assert refused.status_code == 410 and "no longer applies" in refused.text
    assert hub.login(student.username, NEW_PASSWORD).status_code != 302
    assert hub.login(student.username, student.password).status_code == 302


def test_attack_an_older_reset_link_after_a_newer_one(hub, api, make_user) -> None:
    course, student, admin = make_course(api, make_user), make_user(), make_user(roles=("admin",))
    admin_enrols(api, admin, course, student)
    first = reset_link(api, student.id, course.staff)
    second = reset_link(api, student.id, course.staff)
    assert first.status_code == second.status_code == 201
    old, new = first.json()["reset_url"], second.json()["reset_url"]

    client, page = open_link(hub, old)
    assert page.status_code == 410 and "replaced by a newer one" in page.text
    refused = post_reset(client, token_of(old), NEW_PASSWORD)
    assert refused.status_code == 410 and "replaced by a newer one" in refused.text
    assert hub.login(student.username, student.password).status_code == 302

    client, page = open_link(hub, new)
    assert page.status_code == 200 and student.username in page.text
    done = post_reset(client, token_of(new), NEW_PASSWORD)
    assert done.status_code == 200 and 'id="reset_done"' in done.text
    assert hub.login(student.username, NEW_PASSWORD).status_code == 302
