"""The console's Assignments page in Chromium behind the real hub (issue 22).

An instructor creates an assignment through the form; the fake LLM answers the student
once with the reference renamed (leaked, passes the hidden tests) and once with a hint;
the instructor adds an AI window `off` through the form and the student's next question
is refused. The page lists the assignment with exactly those numbers and its window; an
assistant sees it without the reference solution; a student gets 403. The screenshot is
tests/output/console-assignments.png (and docs/img for the README).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.browser import browser_page, needs_chromium
from tests.e2e.test_console_browser import shot, sign_in
from tests.integration.test_assignment_leak import HINT, NOTEBOOK, REFERENCE, RENAMED, TESTS
from tests.support.api import ask, wait_answer
from tests.support.staff import staffed_course

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def page(output_dir):
    with browser_page(output_dir / "console_assignments_last.png") as page:
        yield page


def _question(api, student, course_id: int):
    prompt = f"How do I add up the even numbers? ({uuid.uuid4().hex[:6]})"
    return ask(
        api, student.headers, prompt, mode="hints", course_id=course_id, notebook_path=NOTEBOOK
    )


def test_an_instructor_defines_an_assignment_and_reads_its_leak_numbers(
    console, api, make_user, page, output_dir, fake_llm, fake_llm_control
) -> None:
    course = staffed_course(api, make_user, {"provider": "openai"})
    i, student = course.instructor, course.student
    path = f"courses/{course.id}/assignments"
    sign_in(page, console.hub.url, i.username, i.password, path)
    page.locator("#no-assignments").wait_for()
    assert page.get_by_role("link", name="Assignments").first.get_attribute("aria-current")

    page.get_by_label("Title").fill("Sum of evens")
    page.get_by_label("Notebook path").fill(NOTEBOOK)
    page.get_by_label("Reference solution").fill(REFERENCE)
    page.get_by_label("Hidden tests").fill(TESTS)
    page.get_by_label("Notes for the tutor").fill("Ask about the modulo operator first.")
    page.get_by_role("button", name="Create the assignment").click()
    page.get_by_text("Assignment “Sum of evens” created.").wait_for()
    listed = api.get(course.url("/assignments"), headers=i.headers).json()["data"]
    assert [(a["title"], a["notebook_path"]) for a in listed] == [("Sum of evens", NOTEBOOK)]
    # as typed: the browser's CRLF line ends are the reference's own newlines again
    assert listed[0]["reference_solution"].strip() == REFERENCE.strip()
    assignment = listed[0]["id"]

    fake_llm_control(clear=True, reply=RENAMED)
    r = _question(api, student, course.id)
    assert wait_answer(api, student.headers, r.json()["id"])["guardrail"] == "rewritten"
    fake_llm_control(reply=HINT)
    r = _question(api, student, course.id)
    assert wait_answer(api, student.headers, r.json()["id"])["answer"] == HINT

    ends = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    page.get_by_label("For", exact=True).select_option(str(assignment))
    page.get_by_label("Mode").select_option("off")
    page.get_by_label("Until (UTC").fill(ends.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("The AI window is saved").wait_for()
    refused = _question(api, student, course.id)
    assert refused.status_code == 403 and refused.json()["ai_window"] == "off", refused.text

    page.goto(f"{console.url}{path}")
    row = page.locator(f'#assignments tr[data-assignment="{assignment}"]')
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[0] == NOTEBOOK
    assert cells[1].startswith("off until " + ends.strftime("%Y-%m-%d %H:%M")), cells
    assert cells[2:] == ["2", "1 (50.0 %)", "1", "1"], cells
    week = datetime.now(UTC).strftime("%G-W%V")
    weekly = page.locator(f'#stats-by-week tr[data-week="{week}"] td').all_inner_texts()
    assert [c.strip() for c in weekly[2:]] == ["2", "1 (50.0 %)", "1", "1"], weekly
    assert page.locator("#windows tr[data-window]").count() == 1
    shot(page, output_dir, "assignments", docs=True)

    # the assignment's own page: its form with the reference, for instructors
    row.get_by_role("link", name="Sum of evens").click()
    assert page.get_by_label("Reference solution").input_value().strip() == REFERENCE.strip()
    page.get_by_label("Title").fill("Sum of even numbers")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The assignment is saved.").wait_for()
    one = api.get(course.url(f"/assignments/{assignment}"), headers=i.headers).json()
    assert one["title"] == "Sum of even numbers" and one["hidden_tests"].strip() == TESTS.strip()

    page.once("dialog", lambda dialog: dialog.accept())  # "Delete this assignment…?"
    page.get_by_role("button", name="Delete the assignment").click()
    page.get_by_text("The assignment and its AI windows are deleted.").wait_for()
    assert api.get(course.url("/assignments"), headers=i.headers).json()["data"] == []
    assert api.get(course.url("/ai-windows"), headers=i.headers).json()["data"] == []


def test_an_assistant_reads_assignments_without_the_reference(
    console, api, make_user, page, output_dir
) -> None:
    course = staffed_course(api, make_user)
    r = api.post(
        course.url("/assignments"),
        json={
            "title": "Double",
            "notebook_path": "w1/double.ipynb",
            "reference_solution": "y = 2 * x",
        },
        headers=course.instructor.headers,
    )
    assert r.status_code == 201, r.text
    a = course.assistant
    sign_in(page, console.hub.url, a.username, a.password, f"courses/{course.id}/assignments")
    page.locator(f'#assignments tr[data-assignment="{r.json()["id"]}"]').wait_for()
    assert page.locator("#assignment-form").count() == 0
    assert page.locator("#window-form").count() == 0
    page.get_by_role("link", name="Double").click()
    page.locator("#assignment-readonly").wait_for()
    assert "2 * x" not in page.content()
    assert page.get_by_label("Reference solution").count() == 0
    shot(page, output_dir, "assistant-assignment")


def test_a_student_gets_403_on_the_assignments_page(console, api, make_user, page) -> None:
    course = staffed_course(api, make_user)
    s = course.student
    sign_in(page, console.hub.url, s.username, s.password, f"courses/{course.id}/assignments")
    assert page.locator("#console-message").inner_text() == "This page is for course staff."
