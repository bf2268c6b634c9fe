"""A new student in a real browser, from nothing: open the hub, "Join a course", a wrong
code and a weak password refused in place, sign-up, JupyterLab on tutor.ipynb, first
question answered, the interaction filed under the course. Prints the time from opening
the hub to the first answer and keeps screenshots in docs/img (README's student steps)."""

from __future__ import annotations

import shutil
import time

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.browser import ask, browser_page, needs_chromium, run_all_cells, wait_answered
from tests.e2e.conftest import record_timing
from tests.e2e.signup import identity, make_course, stored
from tests.stack import REPO_ROOT

DOCS_IMG = REPO_ROOT / "docs" / "img"
pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def page(output_dir):
    with browser_page(output_dir / "signup_browser_last.png") as page:
        yield page


def interaction_courses(database_url: str, user_id: int) -> list[int | None]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT course_id FROM interactions WHERE user_id = :i"), {"i": user_id}
            ).all()
    finally:
        engine.dispose()
    return [r.course_id for r in rows]


def test_new_student_joins_from_the_hub_and_gets_a_first_answer(
    hub, api, make_user, page, output_dir
) -> None:
    course, me = make_course(api, make_user), identity()

    started = time.monotonic()
    page.goto(f"{hub.url}/hub/")
    page.get_by_role("link", name="Join a course").click()
    page.wait_for_url("**/hub/join")

    page.fill("#join_code_input", "ABCDE-FGHJK")
    page.fill("#username_input", me["username"])
    page.fill("#email_input", me["email"])
    page.fill("#password_input", me["password"])
    page.click("#signup_submit")
    page.locator("#join_code_error").get_by_text("not valid").wait_for()

    page.fill("#join_code_input", course.join_code.lower())  # as a student might type it
    page.fill("#password_input", "secret")
    page.click("#signup_submit")
    page.locator("#password_error").get_by_text("at least 8 characters").wait_for()
    assert page.locator("#join_code_error").count() == 0

    page.fill("#password_input", me["password"])
    page.check("#consent_yes")
    page.screenshot(path=str(output_dir / "signup.png"), full_page=True)
    page.click("#signup_submit")

    page.wait_for_url("**/lab/tree/tutor.ipynb*", timeout=120_000)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    run_all_cells(page)
    ask(page, "How do I add up the numbers in a list with a loop?")
    turn = wait_answered(page, 1)
    elapsed = time.monotonic() - started
    assert turn.locator(".ainative-msg-tutor").inner_text().strip()
    record_timing(output_dir, "browser_open_hub_to_first_answer_s", elapsed)
    print(f"\nopen hub -> join -> first answer: {elapsed:.1f} s")
    page.locator(".ainative-tutor").scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir / "first-answer.png"))

    user_id = stored(hub.stack.database_url, me["username"])["id"]
    assert interaction_courses(hub.stack.database_url, user_id) == [course.id]

    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    for name in ("signup.png", "first-answer.png"):
        shutil.copyfile(output_dir / name, DOCS_IMG / name)
