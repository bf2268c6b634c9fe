"""Assignments and AI windows over HTTP on the real stack (issue 22): instructors and
admins manage them and see the reference; assistants read without it; students and
outsiders are refused; bad input is a readable 422; every change is audited with who."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.support.factories import make_course

REFERENCE = "def double(x):\n    return 2 * x\n"
TESTS = "assert double(2) == 4\n"


@pytest.fixture
def setup(api: httpx.Client, make_user, db: Engine):
    instructor = make_user(roles=("instructor",))
    assistant = make_user()
    student = make_user()
    outsider = make_user(roles=("instructor",))
    admin = make_user(roles=("admin",))
    course = make_course(
        db,
        {},
        [(instructor.id, "instructor"), (assistant.id, "assistant"), (student.id, "student")],
    )
    return {
        "instructor": instructor,
        "assistant": assistant,
        "student": student,
        "outsider": outsider,
        "admin": admin,
        "course": course,
        "base": f"/api/v1/courses/{course}",
    }


def _create(api: httpx.Client, s, who: str = "instructor", **extra) -> httpx.Response:
    body = {
        "title": "Double it",
        "notebook_path": "week1/double.ipynb",
        "reference_solution": REFERENCE,
        "hidden_tests": TESTS,
        "tutor_notes": "nudge towards multiplication",
        **extra,
    }
    return api.post(f"{s['base']}/assignments", json=body, headers=s[who].headers)


def _audit(db: Engine, course: int) -> list[tuple[str, int]]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT action, actor_id FROM audit_log WHERE course_id = :c ORDER BY id"),
            {"c": course},
        )
        return [(r[0], r[1]) for r in rows if r[0].startswith(("assignment.", "ai_window."))]


def test_instructor_manages_an_assignment_and_everything_is_audited(api, setup, db) -> None:
    s = setup
    r = _create(api, s)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["reference_solution"] == REFERENCE and created["hidden_tests"] == TESTS
    aid = created["id"]
    one = f"{s['base']}/assignments/{aid}"

    listed = api.get(f"{s['base']}/assignments", headers=s["instructor"].headers).json()["data"]
    assert [a["id"] for a in listed] == [aid] and listed[0]["reference_solution"] == REFERENCE
    assert listed[0]["answers_scored"] == 0 and listed[0]["leaked"] == 0

    r = api.patch(one, json={"title": "Double", "hidden_tests": None}, headers=s["admin"].headers)
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Double" and r.json()["has_hidden_tests"] is False

    r = api.post(
        f"{s['base']}/ai-windows",
        json={
            "mode": "off",
            "starts_at": "2026-12-01T09:00:00Z",
            "ends_at": "2026-12-01T11:00Z",
            "assignment_id": aid,
        },
        headers=s["instructor"].headers,
    )
    assert r.status_code == 201, r.text
    window = r.json()
    assert window["mode"] == "off" and window["assignment_id"] == aid
    r = api.post(
        f"{s['base']}/ai-windows", json={"mode": "hints-only"}, headers=s["instructor"].headers
    )
    assert (
        r.status_code == 201 and r.json()["assignment_id"] is None and r.json()["ends_at"] is None
    )
    course_wide = r.json()["id"]
    got = api.get(f"{s['base']}/ai-windows", headers=s["assistant"].headers).json()["data"]
    assert {w["id"] for w in got} == {window["id"], course_wide}
    only = api.get(
        f"{s['base']}/ai-windows", params={"assignment_id": aid}, headers=s["assistant"].headers
    ).json()["data"]
    assert [w["id"] for w in only] == [window["id"]]

    r = api.delete(f"{s['base']}/ai-windows/{course_wide}", headers=s["instructor"].headers)
    assert r.status_code == 204
    assert (
        api.delete(
            f"{s['base']}/ai-windows/{course_wide}", headers=s["instructor"].headers
        ).status_code
        == 404
    )
    assert api.delete(one, headers=s["instructor"].headers).status_code == 204
    assert api.get(one, headers=s["instructor"].headers).status_code == 404
    # The assignment's window went with it.
    assert api.get(f"{s['base']}/ai-windows", headers=s["instructor"].headers).json()["data"] == []

    ins, adm = s["instructor"].id, s["admin"].id
    assert _audit(db, s["course"]) == [
        ("assignment.created", ins),
        ("assignment.changed", adm),
        ("ai_window.created", ins),
        ("ai_window.created", ins),
        ("ai_window.deleted", ins),
        ("assignment.deleted", ins),
    ]
    with db.connect() as conn:
        details = conn.execute(
            text("SELECT details::text FROM audit_log WHERE course_id = :c"), {"c": s["course"]}
        ).scalars()
        assert all("2 * x" not in d for d in details)  # the reference is never in the log


def test_assistants_read_without_the_reference_and_change_nothing(api, setup) -> None:
    s = setup
    aid = _create(api, s).json()["id"]
    h = s["assistant"].headers
    listed = api.get(f"{s['base']}/assignments", headers=h)
    assert listed.status_code == 200
    item = listed.json()["data"][0]
    assert item["reference_solution"] is None and item["hidden_tests"] is None
    assert item["has_hidden_tests"] is True and "2 * x" not in listed.text
    one = api.get(f"{s['base']}/assignments/{aid}", headers=h)
    assert one.status_code == 200 and "2 * x" not in one.text and "double(2)" not in one.text
    assert _create(api, s, "assistant", notebook_path="b.ipynb").status_code == 403
    assert (
        api.patch(f"{s['base']}/assignments/{aid}", json={"title": "x"}, headers=h).status_code
        == 403
    )
    assert api.delete(f"{s['base']}/assignments/{aid}", headers=h).status_code == 403
    assert api.post(f"{s['base']}/ai-windows", json={"mode": "off"}, headers=h).status_code == 403


def test_students_and_outsiders_are_refused_everywhere(api, setup) -> None:
    s = setup
    aid = _create(api, s).json()["id"]
    wid = api.post(
        f"{s['base']}/ai-windows", json={"mode": "off"}, headers=s["instructor"].headers
    ).json()["id"]
    for who in ("student", "outsider"):
        h = s[who].headers
        calls = [
            api.get(f"{s['base']}/assignments", headers=h),
            api.get(f"{s['base']}/assignments/{aid}", headers=h),
            api.get(f"{s['base']}/ai-windows", headers=h),
            _create(api, s, who, notebook_path="c.ipynb"),
            api.patch(f"{s['base']}/assignments/{aid}", json={"title": "x"}, headers=h),
            api.delete(f"{s['base']}/assignments/{aid}", headers=h),
            api.post(f"{s['base']}/ai-windows", json={"mode": "normal"}, headers=h),
            api.delete(f"{s['base']}/ai-windows/{wid}", headers=h),
        ]
        for r in calls:
            assert r.status_code == 403, (who, r.request.method, r.request.url, r.text)
            assert "2 * x" not in r.text and "double(2)" not in r.text
    # Nothing changed.
    got = api.get(f"{s['base']}/assignments/{aid}", headers=s["instructor"].headers).json()
    assert got["title"] == "Double it"


def test_an_assignment_of_another_course_is_not_found(api, setup, db) -> None:
    s = setup
    aid = _create(api, s).json()["id"]
    other = make_course(db, {}, [(s["instructor"].id, "instructor")])
    base = f"/api/v1/courses/{other}"
    h = s["instructor"].headers
    assert api.get(f"{base}/assignments/{aid}", headers=h).status_code == 404
    assert api.patch(f"{base}/assignments/{aid}", json={"title": "x"}, headers=h).status_code == 404
    r = api.post(f"{base}/ai-windows", json={"mode": "off", "assignment_id": aid}, headers=h)
    assert r.status_code == 404, r.text


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"reference_solution": 42}, "reference_solution"),
        ({"reference_solution": ["def f(): pass"]}, "reference_solution"),
        ({"reference_solution": "x" * 50_001}, "reference_solution"),
        ({"hidden_tests": "y" * 50_001}, "hidden_tests"),
        ({"notebook_path": "a\x01b.ipynb"}, "notebook_path"),
        ({"reference_solution": "a\x00b"}, "reference_solution"),
        ({"roles": ["admin"]}, "roles"),
    ],
)
def test_bad_assignments_are_a_readable_422(api, setup, body, says) -> None:
    r = _create(api, setup, **body)
    assert r.status_code == 422, r.text
    assert says in r.text


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"mode": "sometimes"}, "mode"),
        (
            {"mode": "off", "starts_at": "2026-12-02T10:00Z", "ends_at": "2026-12-02T09:00Z"},
            "after",
        ),
        (
            {"mode": "off", "starts_at": "2026-12-02T10:00Z", "ends_at": "2026-12-02T10:00Z"},
            "after",
        ),
        ({"mode": "off", "starts_at": "2026-12-02T10:00"}, "time zone"),
        ({"mode": "off", "ends_at": "tomorrow"}, "ends_at"),
    ],
)
def test_bad_windows_are_a_readable_422(api, setup, body, says) -> None:
    s = setup
    r = api.post(f"{s['base']}/ai-windows", json=body, headers=s["instructor"].headers)
    assert r.status_code == 422, r.text
    assert says in r.text


def test_a_second_assignment_for_the_same_notebook_is_a_conflict(api, setup) -> None:
    assert _create(api, setup).status_code == 201
    r = _create(api, setup, title="Again")
    assert r.status_code == 409 and "week1/double.ipynb" in r.text
