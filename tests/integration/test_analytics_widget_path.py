"""Research data made the way the notebook widget makes it, not by the synthetic cohort.

A student of one course opens a session and asks two turns from a notebook without ever
sending `course_id`; their cell runs arrive as events. The server binds all of it to the
course, so `hours_to_deadline` and `ainative export progsnap2 --course` see it, and a
question asked outside any course does not break the deadline measure.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from ainative.cli import main as cli_main
from ainative.config import get_settings
from ainative.course.event_types import CELL_EXECUTED
from analytics.load import TraceFilter, load_deadlines, load_events, load_interactions
from analytics.measures import hours_to_deadline
from analytics.progsnap2 import keyed_id
from tests.research_check import every_measure
from tests.support.api import wait_answer
from tests.support.factories import make_course

NOTEBOOK = "week3/loops.ipynb"


def _course(database_url: str, code: str, student_id: int, deadline: datetime) -> int:
    engine = create_engine(database_url)
    try:
        course_id = make_course(engine, members=[(student_id, "student")], code=code, title="Loops")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO events (event_type, course_id, occurred_at, payload) "
                    "VALUES ('course.deadline', :c, :t, CAST(:p AS jsonb))"
                ),
                {"c": course_id, "t": deadline, "p": json.dumps({"title": "Lab 3"})},
            )
    finally:
        engine.dispose()
    return course_id


def _ask(api, user, prompt: str, **body: object) -> dict:
    r = api.post("/api/v1/tutor/requests", json={"prompt": prompt, **body}, headers=user.headers)
    assert r.status_code in (200, 202), r.text
    done = wait_answer(api, user.headers, r.json()["id"])
    assert done["status"] == "done", done
    return done


def test_widget_data_reaches_deadlines_and_the_export_by_course(
    api, make_user, stack, tmp_path: Path
) -> None:
    student, loner = make_user(), make_user()
    code = f"W{uuid.uuid4().hex[:8]}"
    deadline = datetime.now(UTC) + timedelta(days=2)
    course_id = _course(stack.database_url, code, student.id, deadline)

    # what the widget sends: a session, then turns with the notebook and cell, no course
    r = api.post("/api/v1/tutor/sessions", json={"client": "notebook"}, headers=student.headers)
    assert r.status_code == 201 and r.json()["course_id"] == course_id, r.text
    session = r.json()["id"]
    where = {"session_id": session, "notebook_path": NOTEBOOK, "cell_id": "cell-7"}
    first = _ask(api, student, f"Why does my loop stop early? {code}", **where)
    second = _ask(api, student, f"I changed range(n - 1) to range(n). {code}", **where)
    now = datetime.now(UTC)
    failing = {"success": False, "error_type": "NameError", "error_message": "name 'n'"}
    runs_sent = [
        {
            "type": "cell.executed",
            "occurred_at": (now - timedelta(seconds=30 - 10 * k)).isoformat(),
            "notebook_path": NOTEBOOK,
            "cell_id": "cell-7",
            "payload": {"code": "for i in range(n):\n    print(i)", **outcome},
        }
        for k, outcome in enumerate([failing, failing, {"success": True}])
    ]
    r = api.post(
        "/api/v1/events/batch",
        json={"session_id": session, "events": runs_sent},
        headers=student.headers,
    )
    assert r.status_code == 200 and r.json()["stored"] == 3, r.text
    _ask(api, loner, f"What is a tuple? {code}")  # no course at all

    asked = load_interactions(stack.database_url, where=TraceFilter(courses=[code]))
    assert sorted(asked["id"]) == sorted([first["id"], second["id"]])
    assert set(asked["notebook_path"]) == {NOTEBOOK} and sorted(asked["turn"]) == [1, 2]
    runs = load_events(
        stack.database_url, where=TraceFilter(courses=[code], event_types=[CELL_EXECUTED])
    )
    assert set(runs["notebook_path"]) == {NOTEBOOK} and set(runs["cell_id"]) == {"cell-7"}
    assert len(runs) == 3

    both = load_interactions(stack.database_url, where=TraceFilter(user_ids=[student.id, loner.id]))
    assert both["course_id"].isna().sum() == 1
    hours = hours_to_deadline(
        both, load_deadlines(stack.database_url, where=TraceFilter(courses=[code]))
    )
    in_course = both["course_id"].notna()
    assert hours[in_course].between(47, 49).all() and hours[~in_course].isna().all()

    out = tmp_path / "ps2"
    argv = ["export", "progsnap2", "--out", str(out), "--course", code, "--no-progress"]
    assert cli_main(argv) == 0
    main = pd.read_csv(out / "MainTable.csv", dtype=str, keep_default_na=False)
    helps = main[main["EventType"] == "X-Help.Request"]
    assert len(helps) == 2 and set(helps["CourseID"]) == {code}
    assert set(helps["AssignmentID"]) == {NOTEBOOK} and sorted(helps["X-Turn"]) == ["1", "2"]
    assert set(helps["SessionID"]) == {keyed_id("session", session, get_settings().research_key())}
    compiled = main[main["EventType"] == "Compile"]
    assert set(compiled["AssignmentID"]) == {NOTEBOOK} and len(compiled) == 3
    assert set(compiled["X-CellID"]) == {"cell-7"}
    assert (main["EventType"] == "Session.Start").sum() == 1

    results = every_measure(stack.database_url, code)  # each measure accepts this data
    eq = results["error_quotient"].set_index("user_id")
    # pairs of one cell: (NameError, NameError) 8 + 3, (NameError, ok) 0, each out of 11
    assert eq.loc[student.id, "error_quotient"] == pytest.approx(1 / 2)
    red = results["repeated_error_density"].set_index("user_id")
    assert red.loc[student.id, "red"] == pytest.approx(1 / 2)
