"""A student in several courses picks one in the chat; the notebook remembers the choice.

Its own module: the chat tests keep one browser open for their whole module, and
Playwright's sync API runs one browser session per thread at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from ainative.notebook.course_choice import BINDING_MIME
from ainative.notebook.staff_view import STAFF_TOTALS
from tests.e2e.browser import (
    ask,
    browser_page,
    log_in_to_tutor_notebook,
    needs_chromium,
    run_all_cells,
    wait_answered,
)
from tests.e2e.test_chat import STUDENT_CELL_ID, row_with
from tests.support.api import register_user
from tests.support.eventually import eventually
from tests.support.factories import make_course

pytestmark = [pytest.mark.browser, needs_chromium]


def test_a_choice_among_several_courses_is_remembered_in_the_notebook(hub, stack, db, output_dir):
    with httpx.Client(base_url=stack.api_url, timeout=40) as api:
        user = register_user(api, stack.database_url)
    # The second course shows its staff totals only: the widget says so once it is chosen.
    policies = [{}, {"staff_reading": "aggregates"}]
    courses = [make_course(db, p, [(user.id, "student")]) for p in policies]
    with db.connect() as conn:
        second_code = conn.execute(
            text("SELECT code FROM courses WHERE id = :c"), {"c": courses[1]}
        ).scalar_one()
    notebook = hub.data_dir / "hub" / "users" / user.username / "tutor.ipynb"

    with browser_page(output_dir / "chat_courses_last.png") as page:
        log_in_to_tutor_notebook(page, hub.url, user.username, user.password)
        run_all_cells(page, quota="Choose your course")
        select = page.locator(".ainative-tutor-course select")
        select.wait_for()
        assert chosen_label(select).startswith("Choose your course")
        ask(page, "Which course am I in?")
        page.locator(".ainative-tutor-status").get_by_text("Choose your course first").wait_for()

        index = select.evaluate(
            "(s, code) => [...s.options].findIndex(o => o.text.startsWith(code))", second_code
        )
        select.select_option(index=index)
        assert chosen_label(select).startswith(second_code)
        page.locator(".ainative-tutor-staff-view").get_by_text(STAFF_TOTALS).wait_for()
        # the kernel took the choice (and updated the widget's output) before it is saved
        page.locator(".ainative-tutor-status").get_by_text("New conversation").wait_for()
        page.locator('.jp-NotebookPanel-toolbar [data-command="docmanager:save"]').click()
        eventually(lambda: f'"course_id": {courses[1]}' in saved(notebook), 60, interval=0.25)
        assert BINDING_MIME in saved(notebook) and f'"course_id": {courses[1]}' in saved(notebook)

        page.reload()  # the notebook opened again: the widget reads its choice back
        page.locator(".jp-Notebook .jp-Cell").first.wait_for()
        run_all_cells(page)
        select = page.locator(".ainative-tutor-course select")
        page.wait_for_function(
            "s => s.selectedIndex > 0", arg=select.element_handle(), timeout=60_000
        )
        assert chosen_label(select).startswith(second_code)
        ask(page, "Which course am I in now?")
        wait_answered(page, 1)
        assert page.get_by_text("batch rejected").count() == 0
    row = row_with(db, user.id, "Which course am I in now?")
    assert row["course_id"] == courses[1] and row["session_id"] is not None

    # The student's cell ran before a course was chosen: its event waited, then went with it.
    def cell_runs() -> list:
        with db.connect() as conn:
            return conn.execute(
                text(
                    "SELECT course_id FROM events WHERE user_id = :u"
                    " AND event_type = 'cell.executed' AND cell_id = :c"
                ),
                {"u": user.id, "c": STUDENT_CELL_ID},
            ).all()

    eventually(lambda: len(cell_runs()) >= 2, 60, interval=0.5)  # the run before, and after reload
    held = cell_runs()
    assert len(held) == 2 and {r.course_id for r in held} == {courses[1]}


def chosen_label(select: Any) -> str:
    """The shown option's text (ipywidgets writes its spaces as no-break spaces)."""
    return select.evaluate("s => s.options[s.selectedIndex].text").replace("\xa0", " ")


def saved(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
