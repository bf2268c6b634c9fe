"""Issue 23 end to end in Chromium: the student's widget in JupyterLab and the staff console.

A student runs a failing cell, asks the tutor (the fake LLM answers), then "Ask a person":
writes a line, checks the preview of what goes along, sends it and sees "waiting" with
the queue position. An assistant claims it in the console, reads the failing cell and
replies; the reply shows in the student's chat without a reload (the time from the
assistant's click to the student's screen is measured and printed). A second assistant
cannot claim it, in the console and in the API. Then the dark theme: the same chat is
readable, in colours of the theme. Last, a request withdrawn while it waits.
Screenshots: tests/output/widget-*.png and console-escalation-claimed.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.e2e.browser import (
    ask,
    browser_page,
    log_in_to_tutor_notebook,
    needs_chromium,
    run_all_cells,
    wait_answered,
)
from tests.e2e.test_console_browser import sign_in
from tests.support.api import TestUser, register_user
from tests.support.factories import make_course

pytestmark = [pytest.mark.browser, needs_chromium]

# a name the starter cell (run by Run All) did not define, so this one fails
FAILING_CELL = (
    "numbers = [3, 1, 4, 1, 5]\nfor n in numbers:\n    running_total += n\nprint(running_total)"
)
TUTOR_REPLY = (
    "Look at the line `running_total += n`: what is `running_total` the very first time it runs? "
    "Where could you give it a starting value?"
)
STAFF_REPLY = "Come to my desk: **running_total** needs a value *before* the loop starts."
REPLY_SEEN_WITHIN = 30.0  # generous: the measured figure is printed, not asserted tight

# The luminance and contrast of WCAG 2, computed in the page from computed styles.
CONTRAST_JS = """(el) => {
  const parse = (s) => {  // rgb(a) or, for color-mix(), color(srgb r g b / a) in 0..1
    const n = s.match(/[\\d.]+/g).map(Number);
    const scale = s.startsWith('color(') ? 255 : 1;
    return {c: n.slice(0, 3).map((v) => v * scale), a: n.length > 3 ? n[3] : 1};
  };
  const lum = (c) => {
    const [r, g, b] = c.map((v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let bgEl = el, bg = 'rgba(0, 0, 0, 0)';
  while (bgEl) {  // the first background at or above the element that is not transparent
    bg = getComputedStyle(bgEl).backgroundColor;
    if (parse(bg).a > 0) break;
    bgEl = bgEl.parentElement;
  }
  const fg = getComputedStyle(el).color;
  const [f, b] = [parse(fg), parse(bg)];
  const shown = f.c.map((v, i) => f.a * v + (1 - f.a) * b.c[i]);  // translucent text
  const [x, y] = [lum(shown), lum(b.c)];
  return {fg, bg, ratio: (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05)};
}"""


@dataclass
class People:
    course: int
    student: TestUser
    assistant: TestUser
    second: TestUser


@pytest.fixture(scope="module")
def people(stack, db) -> People:
    with httpx.Client(base_url=stack.api_url, timeout=40) as api:
        student, assistant, second = (register_user(api, stack.database_url) for _ in range(3))
    members = [(student.id, "student"), (assistant.id, "assistant"), (second.id, "assistant")]
    course = make_course(db, {"provider": "openai"}, members, title="Ask a person")
    return People(course, student, assistant, second)


@pytest.fixture(scope="module")
def lab(hub, console, people, output_dir) -> Iterator[Any]:
    """The student's JupyterLab with the tutor widget ready (the console runs too)."""
    with browser_page(output_dir / "escalation_widget_last.png") as page:
        log_in_to_tutor_notebook(page, hub.url, people.student.username, people.student.password)
        run_all_cells(page)
        page.add_style_tag(content=".Toastify { display: none !important; }")
        yield page


def staff_page(lab: Any, console: Any, who: TestUser, path: str) -> Any:
    """A console page in a browser context of its own (the assistant's own browser)."""
    page = lab.context.browser.new_context(viewport={"width": 1200, "height": 1000}).new_page()
    page.set_default_timeout(90_000)
    sign_in(page, console.hub.url, who.username, who.password, path)
    return page


def run_failing_cell(page: Any) -> None:
    """Type the student's broken loop into their cell, run it, and save the notebook."""
    cell = page.locator(".jp-CodeCell").nth(1)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(FAILING_CELL)  # typed as is: no auto-indent
    page.keyboard.press("Shift+Enter")
    cell.locator(".jp-OutputArea-output").filter(has_text="NameError").wait_for()
    page.keyboard.press("Control+S")


def escalations(db: Engine, user_id: int) -> list[dict]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM escalations WHERE user_id = :u ORDER BY created_at"),
            {"u": user_id},
        )
        return [dict(r) for r in rows.mappings()]


def open_person_form(lab: Any, line: str) -> None:
    lab.locator("button.ainative-person-ask").click()
    lab.locator(".ainative-person-line textarea").fill(line)


def colours(lab: Any) -> dict[str, dict[str, Any]]:
    """Text and background colours (and their contrast) of the parts a student reads."""
    parts = {
        "student": ".ainative-msg-student",
        "tutor": ".ainative-msg-tutor",
        "person": ".ainative-msg-person",
        "status": ".ainative-person-status span",
        "widget": ".ainative-tutor .widget-html-content",
    }
    return {name: lab.locator(sel).first.evaluate(CONTRAST_JS) for name, sel in parts.items()}


def use_theme(lab: Any, name: str) -> None:
    """Settings > Theme > `name`, as a student picks it (no reload: the widget stays)."""
    lab.get_by_role("menuitem", name="Settings", exact=True).click()
    lab.locator(".lm-Menu-itemLabel").get_by_text("Theme", exact=True).click()
    lab.locator(".lm-Menu-itemLabel").get_by_text(name, exact=True).click()


def test_a_student_asks_a_person_and_the_reply_comes_into_the_chat(
    lab, console, people, db, fake_llm_control, output_dir
) -> None:
    run_failing_cell(lab)
    fake_llm_control(reply=TUTOR_REPLY, clear=True)
    ask(lab, "Why does it say running_total is not defined?")
    wait_answered(lab, 1)

    # The form: a line, and exactly what goes along, each part with its checkbox.
    open_person_form(lab, "The hint did not help: I still do not see where running_total starts.")
    form = lab.locator(".ainative-person-form")
    form.locator(".ainative-person-shown-conversation").get_by_text(
        "Why does it say running_total is not defined?"
    ).wait_for()
    assert "starting value" in form.locator(".ainative-person-shown-conversation").inner_text()
    cell = form.locator(".ainative-person-shown-cell").inner_text()
    assert "total += n" in cell and "NameError" in cell, cell
    assert (
        "numbers = [3, 1, 4, 1, 5]" in form.locator(".ainative-person-shown-notebook").inner_text()
    )
    for part in ("conversation", "cell", "notebook"):
        box = form.locator(f".ainative-person-send-{part} input[type=checkbox]")
        assert box.is_checked() and box.is_enabled(), part
    form.screenshot(path=str(output_dir / "widget-ask-person-preview.png"))

    lab.locator("button.ainative-person-send").click()
    status = lab.locator(".ainative-person-status")
    status.get_by_text("Waiting for a person").wait_for()
    assert "number 1 in the queue" in status.inner_text()
    assert form.is_hidden()
    assert lab.locator("button.ainative-person-ask").is_disabled()
    lab.locator(".ainative-tutor").screenshot(path=str(output_dir / "widget-waiting.png"))
    (esc,) = escalations(db, people.student.id)
    assert esc["status"] == "waiting" and esc["course_id"] == people.course
    assert "starts" in esc["message"]
    assert "total += n" in esc["snapshot"]["failing_cell"]["source"]
    assert esc["snapshot"]["notebook"] == "tutor.ipynb"
    assert any("total += n" in c["source"] for c in esc["snapshot"]["cells"])

    path = f"courses/{people.course}/escalations/{esc['id']}"
    second = staff_page(lab, console, people.second, path)  # opened while it still waits
    first = staff_page(lab, console, people.assistant, path)
    try:
        first.locator("#claim").click()
        first.locator("#escalation-status").filter(has_text="claimed").wait_for()
        assert "total += n" in first.locator("#failing-cell").inner_text()
        assert "NameError" in first.locator("#failing-error").inner_text()
        first.screenshot(path=str(output_dir / "console-escalation-claimed.png"), full_page=True)
        status.get_by_text("A person is reading your question").wait_for()

        # The second assistant's page still offers Claim; the console says who was faster.
        second.locator("#claim").click()
        error = second.locator("#escalation-error")
        error.wait_for()
        assert "claimed by someone else" in error.inner_text()
        r = httpx.post(
            f"{console.api.api_url}/api/v1/escalations/{esc['id']}/claim",
            headers=people.second.headers,
            timeout=30,
        )
        assert r.status_code == 409, r.text

        # The reply: from the click to the student's screen, timed by the page's own clock.
        lab.evaluate(
            """() => { window.__replySeen = null;
              new MutationObserver((_, obs) => {
                const el = document.querySelector('.ainative-person-reply');
                if (el && el.innerText.includes('before the loop')) {
                  window.__replySeen = Date.now(); obs.disconnect(); }
              }).observe(document.body, {childList: true, subtree: true, attributes: true,
                                         characterData: true}); }"""
        )
        first.fill("#reply-text", STAFF_REPLY)
        sent_ms = first.evaluate("Date.now()")
        first.locator("#reply").click()
        lab.wait_for_function("() => window.__replySeen !== null", timeout=REPLY_SEEN_WITHIN * 1000)
        seconds = (lab.evaluate("window.__replySeen") - sent_ms) / 1000
        print(f"[timing] staff reply click -> visible in the student's chat: {seconds:.3f} s")
        reply = lab.locator(".ainative-person-reply")
        assert people.assistant.username in reply.inner_text()
        assert reply.locator("strong").inner_text() == "running_total"  # Markdown, rendered
        status.get_by_text("A person answered").wait_for()
        assert lab.locator(".ainative-tutor-turn").count() == 1  # no reload: same chat
        lab.locator(".ainative-tutor").screenshot(path=str(output_dir / "widget-staff-reply.png"))
        first.locator(".console-reply").wait_for()
    finally:
        first.context.close()
        second.context.close()


def test_the_chat_follows_jupyterlabs_dark_theme(lab, output_dir) -> None:
    lab.locator(".ainative-person-reply").wait_for()  # after the test above
    light = colours(lab)
    use_theme(lab, "JupyterLab Dark")
    lab.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    lab.wait_for_timeout(500)  # the theme's stylesheet is swapped in, then applied
    try:
        dark = colours(lab)
        lab.locator(".ainative-tutor").screenshot(path=str(output_dir / "widget-dark.png"))
        for part, shown in dark.items():
            print(f"[colour] {part}: light {light[part]} / dark {shown}")
            assert shown["bg"] != light[part]["bg"] or shown["fg"] != light[part]["fg"], part
            assert shown["ratio"] >= 4.5, (part, shown)  # WCAG AA for body text
            assert light[part]["ratio"] >= 4.5, (part, light[part])
    finally:
        use_theme(lab, "JupyterLab Light")
        lab.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")


def test_a_student_withdraws_a_request_while_it_waits(lab, console, people, db) -> None:
    status = lab.locator(".ainative-person-status")
    lab.locator("button.ainative-person-withdraw").click()  # done with the answered one
    status.get_by_text("You withdrew").wait_for()
    assert lab.locator("button.ainative-person-ask").is_enabled()

    open_person_form(lab, "Another question for a person, please.")
    lab.locator("button.ainative-person-send").click()
    status.get_by_text("Waiting for a person").wait_for()
    lab.locator("button.ainative-person-withdraw").click()
    status.get_by_text("You withdrew").wait_for()
    assert lab.locator("button.ainative-person-withdraw").is_hidden()
    rows = escalations(db, people.student.id)
    assert [r["status"] for r in rows] == ["withdrawn", "withdrawn"]
    assert rows[-1]["withdrawn_at"] is not None

    # Staff see it as withdrawn, and it can no longer be claimed.
    r = httpx.get(
        f"{console.api.api_url}/api/v1/courses/{people.course}/escalations",
        params={"status": "waiting"},
        headers=people.assistant.headers,
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["data"] == [], r.text
    r = httpx.post(
        f"{console.api.api_url}/api/v1/escalations/{rows[-1]['id']}/claim",
        headers=people.assistant.headers,
        timeout=30,
    )
    assert r.status_code == 409, r.text
