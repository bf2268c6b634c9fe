"""`ainative assignments` as a subprocess against the test stack's database (issue 22):
an instructor manages an assignment and its AI windows from a shell, the API sees the
same rows, every change is audited with the actor; bad input exits 2 with a message."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.support.factories import make_course

REFERENCE = "def double(x):\n    return 2 * x\n"
TESTS = "assert double(2) == 4\n"


def cli(stack, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "ainative.cli", "assignments", *args]
    return subprocess.run(
        argv, env={**os.environ, **stack.env}, capture_output=True, text=True, timeout=120
    )


def ok(stack, *args: str) -> str:
    done = cli(stack, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def refused(stack, *args: str) -> str:
    done = cli(stack, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr


def test_an_instructor_manages_assignments_and_windows_from_a_shell(
    stack, api, make_user, db, tmp_path
) -> None:
    instructor, assistant = make_user(roles=("instructor",)), make_user()
    members = [(instructor.id, "instructor"), (assistant.id, "assistant")]
    course = make_course(db, {}, members)
    ref, tests = tmp_path / "ref.py", tmp_path / "tests.py"
    ref.write_text(REFERENCE)
    tests.write_text(TESTS)
    c, actor = ("--course", str(course)), ("--actor", instructor.username)

    out = ok(
        stack,
        "create",
        *c,
        *actor,
        "--title",
        "Double it",
        "--notebook",
        "w1/double.ipynb",
        "--reference",
        str(ref),
        "--tests",
        str(tests),
        "--notes",
        "multiply",
    )
    aid = int(re.search(r"assignment (\d+)", out).group(1))  # type: ignore[union-attr]
    seen = api.get(f"/api/v1/courses/{course}/assignments/{aid}", headers=instructor.headers)
    assert seen.status_code == 200, seen.text
    assert seen.json()["reference_solution"] == REFERENCE and seen.json()["hidden_tests"] == TESTS
    assert seen.json()["tutor_notes"] == "multiply"

    listing = ok(stack, "list", *c)
    assert "Double it" in listing and "w1/double.ipynb" in listing and "1 assignments" in listing
    shown = json.loads(ok(stack, "show", *c, str(aid)))
    assert "reference_solution" not in shown and shown["has_hidden_tests"] is True
    assert shown["stats"]["totals"]["answers_scored"] == 0
    assert shown["stats"]["window"]["mode"] == "normal"
    shown = json.loads(ok(stack, "show", *c, str(aid), "--with-reference"))
    assert shown["reference_solution"] == REFERENCE

    ok(stack, "update", *c, str(aid), *actor, "--title", "Double", "--no-tests")
    seen = api.get(f"/api/v1/courses/{course}/assignments/{aid}", headers=instructor.headers)
    assert seen.json()["title"] == "Double" and seen.json()["has_hidden_tests"] is False

    ends = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    out = ok(
        stack,
        "windows",
        "add",
        *c,
        *actor,
        "--mode",
        "off",
        "--assignment",
        str(aid),
        "--end",
        ends.isoformat(),
    )
    wid = int(re.search(r"AI window (\d+)", out).group(1))  # type: ignore[union-attr]
    windows = api.get(f"/api/v1/courses/{course}/ai-windows", headers=assistant.headers).json()
    assert [(w["id"], w["mode"], w["assignment_id"]) for w in windows["data"]] == [
        (wid, "off", aid)
    ]
    assert datetime.fromisoformat(windows["data"][0]["ends_at"]) == ends
    assert f"assignment {aid}" in ok(stack, "windows", "list", *c)
    shown = json.loads(ok(stack, "show", *c, str(aid)))
    assert shown["stats"]["window"]["mode"] == "off"
    ok(stack, "windows", "delete", *c, *actor, str(wid))
    ok(stack, "delete", *c, *actor, str(aid))
    gone = api.get(f"/api/v1/courses/{course}/assignments/{aid}", headers=instructor.headers)
    assert gone.status_code == 404

    with db.connect() as conn:
        audited = conn.execute(
            text(
                "SELECT action, actor_id, details FROM audit_log WHERE course_id = :c"
                " AND (action LIKE 'assignment.%' OR action LIKE 'ai_window.%') ORDER BY id"
            ),
            {"c": course},
        ).all()
    assert [(a, who) for a, who, _ in audited] == [
        ("assignment.created", instructor.id),
        ("assignment.changed", instructor.id),
        ("ai_window.created", instructor.id),
        ("ai_window.deleted", instructor.id),
        ("assignment.deleted", instructor.id),
    ]
    assert "return 2 * x" not in str([d for _, _, d in audited])  # never the reference


def test_bad_input_exits_2_with_a_message(stack, make_user, db, tmp_path) -> None:
    instructor, assistant = make_user(roles=("instructor",)), make_user()
    course = make_course(db, {}, [(instructor.id, "instructor"), (assistant.id, "assistant")])
    ref, empty = tmp_path / "ref.py", tmp_path / "empty.py"
    ref.write_text(REFERENCE)
    empty.write_text("  \n")
    c, actor = ("--course", str(course)), ("--actor", instructor.username)
    new = ("--title", "T", "--notebook", "n.ipynb")

    assert "no file" in refused(stack, "create", *c, *actor, *new, "--reference", "/nope.py")
    assert "is empty" in refused(stack, "create", *c, *actor, *new, "--reference", str(empty))
    assert "no course" in refused(
        stack, "create", "--course", "NO-SUCH-COURSE", *actor, *new, "--reference", str(ref)
    )
    assert "neither an admin nor an instructor" in refused(
        stack, "create", *c, "--actor", assistant.username, *new, "--reference", str(ref)
    )
    assert "title is longer than 200" in refused(
        stack,
        "create",
        *c,
        *actor,
        "--title",
        "x" * 201,
        "--notebook",
        "n.ipynb",
        "--reference",
        str(ref),
    )
    ok(stack, "create", *c, *actor, *new, "--reference", str(ref))
    assert "already has an assignment" in refused(
        stack, "create", *c, *actor, *new, "--reference", str(ref)
    )
    assert "needs a time zone" in refused(
        stack, "windows", "add", *c, *actor, "--mode", "off", "--end", "2030-01-01T10:00"
    )
    assert "ends_at must be after starts_at" in refused(
        stack,
        "windows",
        "add",
        *c,
        *actor,
        "--mode",
        "off",
        "--start",
        "2030-01-02T10:00Z",
        "--end",
        "2030-01-01T10:00Z",
    )
    assert "no assignment with id 99999" in refused(stack, "show", *c, "99999")
    assert "nothing to change" in refused(stack, "update", *c, *actor, "1")
    assert "not an id" in refused(stack, "delete", *c, *actor, "0")  # argparse's own exit 2
    assert "no AI window" in refused(stack, "windows", "delete", *c, *actor, "2147483647")
