"""The staff console in Chromium behind the real hub (issue 21's browser tests).

An instructor creates a join code and a student joins with it on the hub's /hub/join;
sets a policy and the student's next answer follows it; an assistant sees the policy
read-only and the API refuses their change; a student gets 403. Screenshots go to
tests/output and, for the README's "For instructors" steps, docs/img/console-*.png.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from ainative.tutor.modes import MODE_NAMES
from tests.e2e.browser import browser_page, needs_chromium
from tests.e2e.console import PREFIX
from tests.e2e.signup import identity
from tests.stack import REPO_ROOT
from tests.support.api import ask, fake_requests, wait_answer
from tests.support.staff import staffed_course

DOCS_IMG = REPO_ROOT / "docs" / "img"
pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def page(output_dir):
    with browser_page(output_dir / "console_browser_last.png") as page:
        yield page


def sign_in(page: Any, hub_url: str, username: str, password: str, path: str = "") -> None:
    """The hub's login form, then straight on to a console page (no server is spawned)."""
    page.goto(f"{hub_url}/hub/login?next={PREFIX}{path}")
    page.fill("#username_input", username)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(f"**{PREFIX}{path}*")


def shot(page: Any, output_dir, name: str, docs: bool = False) -> None:
    path = output_dir / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs:
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / path.name)


def test_an_instructor_creates_a_join_code_and_a_student_joins_with_it(
    console, api, make_user, page, output_dir
) -> None:
    course = staffed_course(api, make_user)
    i = course.instructor
    sign_in(page, console.hub.url, i.username, i.password)
    page.locator(f'#courses a[href$="courses/{course.id}"]').wait_for()
    shot(page, output_dir, "courses", docs=True)
    page.goto(f"{console.url}courses/{course.id}/join-code")
    page.get_by_role("button", name="Create a join code").click()
    code = page.locator("#join-code").inner_text().strip()
    assert len(code) == 11 and code[5] == "-", code
    page.get_by_role("link", name="Show it large for the projector").click()
    assert page.locator("#join-code").inner_text().strip() == code
    shot(page, output_dir, "projector", docs=True)

    me = identity()
    other = page.context.browser.new_context()  # the student's own browser: no cookies shared
    try:
        student = other.new_page()
        student.goto(f"{console.hub.url}/hub/join")
        student.fill("#join_code_input", code)
        student.fill("#username_input", me["username"])
        student.fill("#email_input", me["email"])
        student.fill("#password_input", me["password"])
        student.click("#signup_submit")
        student.wait_for_url(lambda url: "/hub/join" not in url)
    finally:
        other.close()

    page.goto(f"{console.url}courses/{course.id}")
    row = page.locator("#roster tr", has_text=me["username"].lower())
    row.wait_for()
    assert "student" in row.inner_text()
    assert row.locator("td").nth(1).inner_text().strip() != "—"  # joined: a time
    shot(page, output_dir, "roster", docs=True)
    # at 200 % zoom (half the width in CSS pixels) the page does not scroll sideways:
    # wide tables scroll in their own box
    page.set_viewport_size({"width": 700, "height": 1000})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, output_dir, "roster-200pct")
    page.set_viewport_size({"width": 1400, "height": 1000})

    # one click makes a student's reset link, shown once on the page
    page.get_by_role("button", name=f"Reset link for {course.student.username}").click()
    link = page.get_by_role("textbox", name=f"The reset link of {course.student.username}")
    assert link.input_value().startswith(f"{console.hub.url}/hub/reset?token=")
    page.goto(f"{console.url}courses/{course.id}")  # a GET never shows it again
    assert page.locator("#reset-link").count() == 0

    # invite a teaching assistant by e-mail: the API's answer, the same for anyone
    other = make_user()
    page.get_by_label("Username or e-mail").fill(other.email)
    page.get_by_label("Role").select_option("assistant")
    page.get_by_role("button", name="Invite").click()
    page.locator(".alert-success").wait_for()
    invited = api.get("/api/v1/me/invitations", headers=other.headers).json()["data"]
    assert [(i["course_id"], i["role"]) for i in invited] == [(course.id, "assistant")]


def test_a_policy_set_in_the_console_governs_the_students_next_answer(
    console, api, make_user, page, output_dir, fake_llm, fake_llm_control
) -> None:
    course = staffed_course(api, make_user)
    i, student = course.instructor, course.student
    sign_in(page, console.hub.url, i.username, i.password, f"courses/{course.id}/policy")
    marker, note = f"TUTOR-ONLY-{uuid.uuid4().hex[:8]}", f"Be kind {uuid.uuid4().hex[:6]}"
    page.get_by_label("explanatory").uncheck()
    page.get_by_label("Questions per student per hour").fill("30")
    page.get_by_label("Model").select_option("openai/fake-model")
    page.get_by_label("Notes students see").fill(note)
    page.get_by_label("Tutor-only context (never shown to students)").fill(marker)
    page.get_by_role("button", name="Save policy").focus()
    page.keyboard.press("Enter")  # the keyboard alone submits it
    page.get_by_text("The tutor policy is saved").wait_for()
    assert not page.get_by_label("explanatory").is_checked()
    shot(page, output_dir, "policy", docs=True)

    # the student's next questions follow it: a removed mode is refused, the others
    # reach the (fake) LLM with the tutor-only context in its instructions
    refused = ask(api, student.headers, "Explain loops", mode="explanatory", course_id=course.id)
    assert refused.status_code == 422, refused.text
    seen = api.get(f"/api/v1/courses/{course.id}/policy", headers=student.headers).json()
    assert seen["student_notes"] == note and seen["extra_context"] is None
    r = ask(api, student.headers, f"Why {uuid.uuid4().hex[:6]}?", course_id=course.id)
    assert r.status_code in (200, 202), r.text
    body = wait_answer(api, student.headers, r.json()["id"])
    assert body["status"] == "done", body
    sent = [q for q in fake_requests(fake_llm) if marker in str(q)]
    assert sent, "the fake LLM never received the tutor-only context"

    # a refused change shows the API's message on the page, not a trace
    for mode in MODE_NAMES:
        page.get_by_label(mode, exact=True).uncheck()
    page.get_by_role("button", name="Save policy").click()
    error = page.locator("#console-error")
    error.wait_for()
    assert "allowed_modes" in error.inner_text()


def test_an_assistant_cannot_change_the_policy(console, api, make_user, page, output_dir) -> None:
    course = staffed_course(api, make_user)
    a = course.assistant
    sign_in(page, console.hub.url, a.username, a.password, f"courses/{course.id}/policy")
    page.locator("#policy-readonly").wait_for()
    assert page.get_by_label("Notes students see").is_disabled()
    assert page.get_by_role("button", name="Save policy").count() == 0
    # a forged submission (the form's own fields) reaches the API, which refuses it
    status, text = page.evaluate(
        """async () => {
            const form = document.getElementById("policy-form");
            const data = new URLSearchParams(new FormData(form));
            data.append("allowed_modes", "socratic");
            const r = await fetch(form.action || location.href, {method: "POST", body: data});
            return [r.status, await r.text()];
        }"""
    )
    assert status == 403, text[:300]
    assert "requires course role: instructor" in text
    shot(page, output_dir, "assistant-policy")
    policy = api.get(f"/api/v1/courses/{course.id}/policy", headers=course.instructor.headers)
    assert policy.json()["allowed_modes"] == list(MODE_NAMES)  # unchanged


def test_a_student_gets_403_in_the_browser(console, make_user, page, output_dir) -> None:
    student = make_user()
    sign_in(page, console.hub.url, student.username, student.password)
    assert page.locator("#console-message").inner_text() == "This page is for course staff."
    shot(page, output_dir, "student-403")


def failing_runs(api, student, course_id: int, n: int, error_type: str = "NameError") -> None:
    """The student's notebook reports `n` failing cell runs with one error type."""
    payload = {"code": "print(totl)", "success": False, "execution_count": 1}
    event = {"type": "cell.executed", "payload": {**payload, "error_type": error_type}}
    events = [{**event, "occurred_at": datetime.now(UTC).isoformat()} for _ in range(n)]
    r = api.post(
        "/api/v1/events/batch",
        json={"course_id": course_id, "events": events},
        headers=student.headers,
    )
    assert r.status_code == 200 and r.json()["stored"] == n, r.text


def test_the_live_lab_changes_as_a_student_asks_and_fails_runs(
    console, api, make_user, page, output_dir
) -> None:
    course = staffed_course(api, make_user)
    i, student = course.instructor, course.student
    sign_in(page, console.hub.url, i.username, i.password, f"courses/{course.id}/live")
    page.locator("#live-empty").wait_for()
    page.evaluate("window.__notReloaded = true")
    row = page.locator(f'#live-students tr[data-user-id="{student.id}"]')

    r = ask(api, student.headers, "Give me the solution to exercise 2", course_id=course.id)
    assert r.status_code in (200, 202), r.text
    row.wait_for(timeout=30_000)
    expect_text(row.locator(".c-questions"), "1")
    assert page.locator("#live-empty").is_hidden()

    failing_runs(api, student, course.id, 3)
    expect_text(row.locator(".c-failing"), "3")
    expect_text(row.locator(".c-streak"), "3")
    assert "repeated error" in row.locator(".c-flags").inner_text()
    page.locator("#live-errors", has_text="NameError").wait_for()
    assert page.evaluate("window.__notReloaded === true")  # the page changed in place
    shot(page, output_dir, "live", docs=True)


def expect_text(locator: Any, text: str, timeout_s: float = 30.0) -> None:
    """Until the locator's text is `text` (the live page redraws every second)."""
    from tests.support.eventually import eventually

    assert eventually(lambda: locator.inner_text().strip() == text, timeout_s), (
        f"still {locator.inner_text()!r}, expected {text!r}"
    )


def test_questions_newest_first_and_a_whole_conversation(
    console, api, make_user, page, output_dir
) -> None:
    course = staffed_course(api, make_user)
    i, student = course.instructor, course.student
    first, second = f"First {uuid.uuid4().hex[:6]}?", f"Second {uuid.uuid4().hex[:6]}?"
    s = api.post(
        "/api/v1/tutor/sessions",
        json={"client": "notebook", "course_id": course.id},
        headers=student.headers,
    )
    assert s.status_code == 201, s.text
    for prompt in (first, second):
        r = ask(api, student.headers, prompt, course_id=course.id, session_id=s.json()["id"])
        assert wait_answer(api, student.headers, r.json()["id"])["status"] == "done"
    sign_in(page, console.hub.url, i.username, i.password, f"courses/{course.id}/questions")
    prompts = page.locator("#questions .console-prompt").all_inner_texts()
    shown = [p.replace("Question:", "", 1).strip() for p in prompts]  # a hidden label first
    assert shown == [second, first]  # newest first
    page.get_by_label("Student").select_option(str(student.id))
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"**student_id={student.id}*")
    shot(page, output_dir, "questions", docs=True)
    page.get_by_role("link", name="whole conversation").first.click()
    page.wait_for_url(f"**/questions/{student.id}/*")
    page.locator("#conversation").wait_for()
    turns = page.locator("#conversation .console-prompt").all_inner_texts()
    assert len(turns) == 2 and first in turns[0] and second in turns[1]

    # staff reading switched to totals: the page says so instead of listing
    page.goto(f"{console.url}courses/{course.id}/policy")
    page.get_by_label("Totals only").check()
    page.get_by_role("button", name="Save policy").click()
    page.get_by_text("The tutor policy is saved").wait_for()
    page.goto(f"{console.url}courses/{course.id}/questions")
    page.locator("#aggregates-only").wait_for()
    assert page.locator("#questions").count() == 0


def test_an_admin_creates_a_course_and_names_its_instructor(
    console, api, make_user, page, output_dir
) -> None:
    admin, instructor = make_user(roles=("admin",)), make_user(roles=("instructor",))
    code = f"NEW{uuid.uuid4().hex[:6]}"
    sign_in(page, console.hub.url, admin.username, admin.password)
    page.get_by_label("Code").fill(code)
    page.get_by_label("Title").fill(f"Course {code}")
    page.get_by_label("Instructor (username or e-mail)").fill(instructor.email)
    page.get_by_role("button", name="Create course").click()
    page.get_by_text(f"Course {code} created.").wait_for()
    mine = api.get("/api/v1/courses", params={"mine": True}, headers=instructor.headers).json()
    assert [(c["code"], c["role"]) for c in mine["data"]] == [(code, "instructor")]
    # the same code again: the API's refusal, in words, and the form keeps what was typed
    page.get_by_label("Code").fill(code)
    page.get_by_label("Title").fill("Again")
    page.get_by_role("button", name="Create course").click()
    page.locator("#console-error").wait_for()
    assert page.get_by_label("Title").input_value() == "Again"


def test_an_instructor_starts_and_ends_an_experiment(
    console, api, make_user, page, output_dir
) -> None:
    course = staffed_course(api, make_user)
    i = course.instructor
    sign_in(page, console.hub.url, i.username, i.password, f"courses/{course.id}/experiments")
    page.get_by_label("Name", exact=True).first.fill("hints-vs-socratic")
    page.locator("#arm-name-0").fill("hints")
    page.locator("#arm-modes-0").fill("hints")
    page.locator("#arm-name-1").fill("socratic")
    page.locator("#arm-modes-1").fill("socratic")
    page.get_by_role("button", name="Start the experiment").click()
    page.get_by_text("The experiment is running").wait_for()
    section = page.locator("section", has_text="hints-vs-socratic").first
    assert "running" in section.inner_text() and "0 students" in section.inner_text()
    shot(page, output_dir, "experiments")
    # a second one while the first runs: the API's refusal in words
    page.get_by_label("Name", exact=True).first.fill("second")
    page.locator("#arm-name-0").fill("a")
    page.locator("#arm-name-1").fill("b")
    page.get_by_role("button", name="Start the experiment").click()
    page.locator("#console-error").wait_for()
    page.get_by_role("button", name="End hints-vs-socratic").click()
    page.get_by_text("The experiment has ended").wait_for()
    assert "ended" in page.locator("section", has_text="hints-vs-socratic").first.inner_text()
