"""Chromium through Playwright for the browser tests: launch, hub login, JupyterLab steps."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (apt-get install chromium)"
)


@contextmanager
def browser_page(screenshot: Path):
    """A fresh Chromium page (1400x1000); a screenshot of the last state when it closes."""
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
            page.screenshot(path=str(screenshot))
            context.close()
            browser.close()


def accept_kernel_dialog(page: Any, wait_ms: int = 10_000) -> None:
    """JupyterLab may ask which kernel to start; take the notebook's own (Python 3)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    select = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    try:
        select.wait_for(state="visible", timeout=wait_ms)
    except PlaywrightTimeout:
        return
    select.click()
    page.locator(".jp-Dialog").wait_for(state="detached")


def log_in_to_tutor_notebook(page: Any, hub_url: str, username: str, password: str) -> None:
    """Hub login form -> JupyterLab opens the starter tutor.ipynb (the spawner's default_url)."""
    page.goto(f"{hub_url}/hub/login")
    page.fill("#username_input", username)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url("**/lab/tree/tutor.ipynb*", timeout=120_000)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()


def run_all_cells(page: Any, quota: str = "questions left") -> Any:
    """Run the notebook (the tutor cell, then the student's cell); the widget's locator.

    Ready when the quota line says `quota`.
    """
    accept_kernel_dialog(page)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    accept_kernel_dialog(page, wait_ms=3_000)
    widget = page.locator(".ainative-tutor")
    widget.wait_for(state="visible", timeout=120_000)
    page.locator(".ainative-tutor-quota").get_by_text(quota).wait_for()
    return widget


def ask(page: Any, question: str) -> None:
    page.locator(".ainative-tutor-question textarea").fill(question)
    page.locator("button.ainative-tutor-ask").click()


def wait_answered(page: Any, turns: int, timeout_ms: int = 120_000) -> Any:
    """Until the conversation has `turns` turns and the last one is answered (rateable)."""
    turn = page.locator(".ainative-tutor-turn").nth(turns - 1)
    turn.locator("button.ainative-tutor-helpful").wait_for(state="visible", timeout=timeout_ms)
    assert page.locator(".ainative-tutor-turn").count() == turns
    return turn
