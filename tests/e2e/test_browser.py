"""A student in a real browser: hub login -> JupyterLab -> tutor.ipynb -> Ask -> rendered answer.

Drives Debian's chromium through Playwright; skipped, with the reason shown, without it.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.browser import (
    ask,
    browser_page,
    log_in_to_tutor_notebook,
    needs_chromium,
    run_all_cells,
    wait_answered,
)
from tests.e2e.conftest import record_timing

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def page(output_dir):
    with browser_page(output_dir / "hub_browser_last.png") as page:
        yield page


def test_student_asks_the_tutor_in_jupyterlab(hub, make_user, page, output_dir):
    user = make_user()
    started = time.monotonic()
    log_in_to_tutor_notebook(page, hub.url, user.username, user.password)
    record_timing(output_dir, "browser_login_to_jupyterlab_s", time.monotonic() - started)

    widget = run_all_cells(page)

    asked = time.monotonic()
    ask(page, "My loop only keeps the last number instead of adding them up. Why?")
    turn = wait_answered(page, 1)
    record_timing(output_dir, "browser_ask_to_rendered_answer_s", time.monotonic() - asked)
    assert turn.locator(".ainative-msg-tutor").inner_text().strip()
    # the status line is its own widget: its update may reach the page a moment later
    page.locator(".ainative-tutor-status", has_text="answered").wait_for(timeout=30_000)

    turn.locator("button.ainative-tutor-helpful").click()
    turn.locator(".ainative-tutor-rating-note").get_by_text("rating was recorded").wait_for()
    widget.screenshot(path=str(output_dir / "hub_tutor_widget.png"))
    page.screenshot(path=str(output_dir / "hub_browser.png"))

    # While a question waits (no worker running), the kernel still runs the student's cells.
    hub.stack.kill("worker")
    try:
        ask(page, "What is a for loop for?")
        status = page.locator(".ainative-tutor-status")
        status.get_by_text("queued").wait_for()
        cell = page.locator(".jp-CodeCell").nth(1)  # the student's starter cell
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        cell.locator(".jp-InputPrompt").get_by_text("[3]").wait_for()
        assert "answered" not in status.inner_text()
    finally:
        hub.stack.start_worker()
    status.get_by_text("answered").wait_for(timeout=120_000)
