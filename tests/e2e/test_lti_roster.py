"""NRPS roster sync against the fake LMS: the hub's tool key signs the client assertion
(the fake checks it against /hub/lti13/jwks), members are enrolled, dropped (data kept)
and re-roled; on request through the API (the worker runs it) and through the CLI."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import create_engine, text

from tests.e2e.lti import Launcher, cli, course_of_context, records, spawn_target
from tests.fakes.lms import INSTRUCTOR, LEARNER, TA, LmsContext, LmsPerson
from tests.support.eventually import eventually
from tests.support.factories import make_course


def member(person: LmsPerson, role: str, status: str = "Active") -> dict[str, object]:
    return {
        "user_id": person.sub,
        "name": person.name,
        "email": person.email,
        "roles": [role],
        "status": status,
    }


def user_exists(database_url: str, user_id: int) -> bool:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM users WHERE id = :i"), {"i": user_id})
            return found.first() is not None
    finally:
        engine.dispose()


def test_roster_sync_adds_drops_and_re_roles_members(hub, lms, api, make_user, console) -> None:
    context, teacher = LmsContext(), LmsPerson(name="Teacher")
    browser = Launcher(hub, lms)
    page = browser.launch(lms.add_launch(teacher, context, [INSTRUCTOR]))
    spawn_target(browser.choose(page, "lti-new-account"))
    course = course_of_context(hub.stack.database_url, context.id)
    ann, bob, cy = LmsPerson(name="Ann"), LmsPerson(name="Bob"), LmsPerson(name="Cy")
    lms.rosters[context.id] = [
        member(teacher, INSTRUCTOR),
        member(ann, LEARNER),
        member(bob, LEARNER),
        member(cy, TA),
        member(LmsPerson(), LEARNER, status="Inactive"),  # never enrolled
    ]
    admin = make_user(roles=("admin",))
    path = f"/api/v1/courses/{course['id']}/lti/roster-sync"
    before = api.get(path, headers=admin.headers)
    assert before.status_code == 200 and before.json() == {"lms_roster": True, "last_sync": None}
    asked = api.post(path, headers=admin.headers)
    assert asked.status_code == 202, asked.text

    def synced() -> dict | None:
        last = api.get(path, headers=admin.headers).json()["last_sync"]
        return last if last and last["status"] != "running" else None

    last = eventually(synced, 60, interval=0.5)
    assert last is not None and last["status"] == "done", last
    added = {(c["username"], c["role"]) for c in last["changes"]["added"]}
    db = hub.stack.database_url
    a, b, c = (records(db, lms.issuer, p.sub) for p in (ann, bob, cy))
    assert added == {
        (a["username"], "student"),
        (b["username"], "student"),
        (c["username"], "assistant"),
    }
    assert last["changes"]["removed"] == [] and last["changes"]["role_changed"] == []
    assert a["courses"] == {context.label: "student"}  # made and enrolled without a launch

    # Bob leaves the LMS course, Ann is marked inactive, Cy becomes a learner.
    lms.rosters[context.id] = [member(teacher, INSTRUCTOR), member(ann, LEARNER, "Inactive"),
                               member(cy, LEARNER)]  # fmt: skip
    done = cli(hub.stack, "lti", "sync", course["code"])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    removed = {x["username"] for x in result["changes"]["removed"]}
    assert removed == {a["username"], b["username"]}
    assert [
        (x["username"], x["previous"], x["role"]) for x in result["changes"]["role_changed"]
    ] == [(c["username"], "assistant", "student")]
    assert records(db, lms.issuer, bob.sub)["courses"] == {}
    assert user_exists(db, b["id"])  # dropped from the course, account and data kept
    assert records(db, lms.issuer, teacher.sub)["courses"] == {context.label: "instructor"}
    shown = api.get(path, headers=admin.headers).json()["last_sync"]
    assert shown["id"] == result["id"] and len(shown["changes"]["removed"]) == 2
    assert not lms.token_refusals  # every client assertion verified against the hub's JWKS

    # The staff console's course page shows the last sync and its changes.
    page = console.session(admin.username, admin.password).get(
        f"{console.url}courses/{course['id']}"
    )
    assert page.status_code == 200, page.text[:500]
    section = page.text[page.text.index('id="lms-roster-section"') :]
    assert "2 removed" in section and f"removed {b['username']}" in section
    assert f"{c['username']}: assistant &rarr; student" in section


def test_a_course_without_an_lms_roster_says_so(hub, api, make_user) -> None:
    admin = make_user(roles=("admin",))
    r = api.post(
        "/api/v1/courses",
        json={"code": f"NOLMS{uuid.uuid4().hex[:6]}", "title": "x"},
        headers=admin.headers,
    )
    course_id = r.json()["id"] if r.status_code == 201 else None
    assert course_id is not None, r.text
    asked = api.post(f"/api/v1/courses/{course_id}/lti/roster-sync", headers=admin.headers)
    assert asked.status_code == 409 and "no LMS roster" in asked.json()["detail"]


def test_students_and_assistants_may_not_ask_for_a_sync(hub, api, db, make_user) -> None:
    student, assistant = make_user(), make_user()
    course_id = make_course(db, members=[(student.id, "student"), (assistant.id, "assistant")])
    path = f"/api/v1/courses/{course_id}/lti/roster-sync"
    for who in (student, assistant):
        r = api.post(path, headers=who.headers)
        assert r.status_code == 403 and "requires course role: instructor" in r.text
    assert api.get(path, headers=student.headers).status_code == 403  # staff only
    assert api.get(path, headers=assistant.headers).json()["lms_roster"] is False
