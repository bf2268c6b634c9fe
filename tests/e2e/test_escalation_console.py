"""Issue 23 in Chromium behind the real hub: a student's request to a person, from the
assistant's side. The student asks the tutor and hands the session over (API, as the
widget does); an assistant opens the console's queue, claims it, reads the failing cell
and replies; the reply reaches the student's long-poll; a second assistant cannot claim.
Screenshots: tests/output and docs/img/console-escalation-*.png."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.e2e.browser import browser_page, needs_chromium
from tests.e2e.test_console_browser import shot, sign_in
from tests.support.api import ask, wait_answer
from tests.support.staff import invite_and_accept_as, staffed_course

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def page(output_dir):
    with browser_page(output_dir / "escalation_console_last.png") as page:
        yield page


def test_assistant_claims_reads_the_failing_cell_and_replies(
    console, api, make_user, page, output_dir
) -> None:
    course = staffed_course(api, make_user)
    student = course.student.headers
    r = api.post(
        "/api/v1/tutor/sessions",
        json={"course_id": course.id, "client": "notebook"},
        headers=student,
    )
    session = r.json()["id"]
    r = ask(api, student, "why is x undefined?", course_id=course.id, session_id=session)
    wait_answer(api, student, r.json()["id"])
    r = api.post(
        f"/api/v1/tutor/sessions/{session}/escalations",
        json={
            "message": "the tutor's hints did not help me",
            "cell": {"source": "print(x)", "error": "NameError: name 'x' is not defined"},
        },
        headers=student,
    )
    assert r.status_code == 201, r.text
    esc = r.json()

    a = course.assistant
    sign_in(page, console.hub.url, a.username, a.password, f"courses/{course.id}/escalations")
    row = page.locator(f'tr[data-escalation="{esc["id"]}"]')
    row.wait_for()
    assert row.get_attribute("data-status") == "waiting"
    shot(page, output_dir, "escalation-queue", docs=True)
    row.locator("a").click()
    page.locator("#claim").click()
    page.locator("#escalation-status").filter(has_text="claimed").wait_for()
    assert "print(x)" in page.locator("#failing-cell").inner_text()
    assert "NameError" in page.locator("#failing-error").inner_text()

    # The student's widget long-polls; measure reply -> the student's reply arriving.
    got: dict[str, Any] = {}

    def poll() -> None:
        seen = api.get(f"/api/v1/escalations/{esc['id']}", headers=student).json()["version"]
        r = api.get(
            f"/api/v1/escalations/{esc['id']}", params={"wait": 25, "seen": seen}, headers=student
        )
        got["at"], got["body"] = time.monotonic(), r.json()

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(1.0)
    page.fill("#reply-text", "Come to my desk: **x** is never assigned before the print.")
    sent = time.monotonic()
    page.locator("#reply").click()
    waiter.join(60)
    assert got["body"]["status"] == "answered", got
    assert "<strong>x</strong>" in got["body"]["replies"][0]["html"]
    print(f"reply -> student's long-poll: {got['at'] - sent:.3f} s")
    page.locator(".console-reply").wait_for()
    shot(page, output_dir, "escalation-request", docs=True)

    second = make_user()
    invite_and_accept_as(api, course.id, second, course.instructor.headers, "assistant")
    r = api.post(f"/api/v1/escalations/{esc['id']}/claim", headers=second.headers)
    assert r.status_code == 409, r.text
    page.locator("#resolve").click()
    page.locator("#escalation-status").filter(has_text="resolved").wait_for()
