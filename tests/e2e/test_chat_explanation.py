"""Python's explanation of a failed cell, in a real browser: shown in "What the tutor will
see" with its own checkbox, and inside the prompt the LLM receives."""

from __future__ import annotations

import shutil
from typing import Any

import httpx
import pytest

from tests.e2e.browser import (
    ask,
    browser_page,
    log_in_to_tutor_notebook,
    needs_chromium,
    run_all_cells,
    wait_answered,
)
from tests.stack import REPO_ROOT
from tests.support.api import fake_requests, register_user
from tests.support.factories import make_course

pytestmark = [pytest.mark.browser, needs_chromium]

BUGGY_CELL = "scores = [90, 75, 60]\nprint(scores[3])"


def add_and_run_cell(page: Any, code: str) -> None:
    """A new cell below the student's starter cell, typed and run (Shift+Enter)."""
    cell = page.locator(".jp-CodeCell").nth(1)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    new = page.locator(".jp-CodeCell").nth(2)
    new.locator(".jp-InputArea-editor").click()
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")
    new.locator(".jp-OutputArea-output").get_by_text("IndexError").first.wait_for()


def test_the_explanation_is_shown_ticked_and_sent(
    stack, db, hub, fake_llm, fake_llm_control, output_dir
):
    with httpx.Client(base_url=stack.api_url, timeout=40) as api:
        user = register_user(api, stack.database_url)
    make_course(db, {"provider": "openai"}, [(user.id, "student")], title="Programming 1")
    with browser_page(output_dir / "chat_explanation_last.png") as page:
        log_in_to_tutor_notebook(page, hub.url, user.username, user.password)
        widget = run_all_cells(page)
        add_and_run_cell(page, BUGGY_CELL)

        page.locator(".ainative-tutor-preview").get_by_text("What the tutor will see").click()
        shown = page.locator(".ainative-tutor-shown-explanation")
        shown.get_by_text("index `3` of `scores`").wait_for()
        assert "Value: scores = [90, 75, 60]" in shown.inner_text()
        box = page.locator(".ainative-tutor-send-explanation input")
        assert box.is_checked() and box.is_enabled()
        page.add_style_tag(content=".Toastify { display: none !important; }")
        widget.screenshot(path=str(output_dir / "chat-explanation.png"))
        docs_img = REPO_ROOT / "docs" / "img"
        shutil.copyfile(output_dir / "chat-explanation.png", docs_img / "chat-explanation.png")

        fake_llm_control(clear=True)
        ask(page, "Why does this not work?")
        wait_answered(page, 1)
    [received] = [r for r in fake_requests(fake_llm) if "Why does this not work?" in str(r["body"])]
    user_message = received["body"]["messages"][-1]["content"]
    assert "What Python and a reading of my code say" in user_message
    assert "Line 2: print(scores[3])" in user_message
