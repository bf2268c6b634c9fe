"""A student in a real browser: hub login -> JupyterLab -> tutor.ipynb -> Ask -> rendered answer.

Drives Debian's chromium through Playwright; skipped, with the reason shown, without it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.conftest import record_timing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (apt-get install chromium)"
    ),
]


@pytest.fixture
def page(output_dir):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(90_000)
        try:
            yield page
        finally:
            page.screenshot(path=str(output_dir / "hub_browser_last.png"))
            context.close()
            browser.close()


def accept_kernel_dialog(page, wait_ms: int = 10_000) -> None:
    """JupyterLab may ask which kernel to start; take the notebook's own (Python 3)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    select = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    try:
        select.wait_for(state="visible", timeout=wait_ms)
    except PlaywrightTimeout:
        return
    select.click()
    page.locator(".jp-Dialog").wait_for(state="detached")


def test_student_asks_the_tutor_in_jupyterlab(hub, make_user, page, output_dir):
    user = make_user()
    started = time.monotonic()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user.username)
    page.fill("#password_input", user.password)
    page.click("#login_submit")
    # default_url opens the starter notebook in JupyterLab once the server is up
    page.wait_for_url("**/lab/tree/tutor.ipynb*", timeout=120_000)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    record_timing(output_dir, "browser_login_to_jupyterlab_s", time.monotonic() - started)

    accept_kernel_dialog(page)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    accept_kernel_dialog(page, wait_ms=3_000)
    widget = page.locator(".ainative-tutor")
    widget.wait_for(state="visible", timeout=120_000)
    page.locator(".ainative-tutor-quota").get_by_text("questions left").wait_for()

    page.locator(".ainative-tutor-question textarea").fill(
        "My loop only keeps the last number instead of adding them up. Why?"
    )
    asked = time.monotonic()
    page.locator("button.ainative-tutor-ask").click()
    answer = page.locator(".ainative-tutor-answer .jp-RenderedMarkdown")
    answer.first.wait_for(state="visible", timeout=120_000)
    record_timing(output_dir, "browser_ask_to_rendered_answer_s", time.monotonic() - asked)
    assert answer.first.inner_text().strip()
    assert "answered" in page.locator(".ainative-tutor-status").inner_text()

    page.locator("button.ainative-tutor-helpful").click()
    page.locator(".ainative-tutor-status").get_by_text("rating was recorded").wait_for()
    widget.screenshot(path=str(output_dir / "hub_tutor_widget.png"))
    page.screenshot(path=str(output_dir / "hub_browser.png"))

    # While a question waits (no worker running), the kernel still runs the student's cells.
    hub.stack.kill("worker")
    try:
        page.locator(".ainative-tutor-question textarea").fill("What is a for loop for?")
        page.locator("button.ainative-tutor-ask").click()
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
