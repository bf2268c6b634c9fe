"""The tutor chat in a real browser: streaming, follow-ups, new conversations, course binding, XSS.

One student in one course (tutored by the fake LLM through the openai provider) logs in
through the hub once; the tests then talk to the tutor in that JupyterLab page in order,
and check what the platform stored and what the LLM was sent.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from ainative.cli import main as cli_main
from tests.e2e.browser import (
    ask,
    browser_page,
    log_in_to_tutor_notebook,
    needs_chromium,
    run_all_cells,
    wait_answered,
)
from tests.progsnap2_reader import check
from tests.research_check import every_measure
from tests.stack import REPO_ROOT
from tests.support.api import fake_requests, register_user
from tests.support.eventually import eventually
from tests.support.factories import make_course

pytestmark = [pytest.mark.browser, needs_chromium]

STUDENT_CELL_ID = "9539e334"  # the student's starter cell in notebooks/tutor.ipynb
FIRST_REPLY = (
    "Good observation! Look at the line `total = n`:\n\n"
    "1. What value does `total` hold after the first pass of the loop?\n"
    "2. And after the second?\n\n"
    "What would you change so that each number is **added** to what you already have?"
)
FOLLOW_UP_REPLY = (
    "Nice, `total += n` adds each number. Now run it: what happens on the *very first* "
    "pass, before `total` has a value? Where could you give it a starting value?"
)
XSS_REPLY = (
    'Look here: <img src=x onerror="window.__pwned = 1; alert(1)"> and '
    "[this link](javascript:window.__pwned=2) and "
    '<a href="#" onclick="window.__pwned=3">that</a>.'
)


@pytest.fixture(scope="module")
def student(stack, db) -> tuple[Any, int]:
    """A consenting student in exactly one course, whose tutor is the (fake) OpenAI model."""
    with httpx.Client(base_url=stack.api_url, timeout=40) as api:
        user = register_user(api, stack.database_url)
    # titled as the README's screenshot shows it
    title = "Introduction to programming"
    course = make_course(db, {"provider": "openai"}, [(user.id, "student")], title=title)
    return user, course


@pytest.fixture(scope="module")
def lab(hub, student, output_dir) -> Iterator[Any]:
    """The student's JupyterLab with tutor.ipynb run: the chat widget ready in its course."""
    user, _ = student
    with browser_page(output_dir / "chat_last.png") as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs  # type: ignore[attr-defined]
        log_in_to_tutor_notebook(page, hub.url, user.username, user.password)
        run_all_cells(page)
        yield page


def interactions(db: Engine, user_id: int) -> list[dict]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM interactions WHERE user_id = :u ORDER BY created_at"),
            {"u": user_id},
        )
        return [dict(r) for r in rows.mappings()]


def row_with(db: Engine, user_id: int, marker: str) -> dict:
    found = [r for r in interactions(db, user_id) if marker in r["prompt"]]
    assert len(found) == 1, found
    return found[0]


def llm_request_with(fake_llm, marker: str) -> list[dict]:
    """The messages of the one completion request whose last user message holds `marker`."""
    found = [
        r["body"]["messages"]
        for r in fake_requests(fake_llm)
        if marker in [m for m in r["body"]["messages"] if m["role"] == "user"][-1]["content"]
    ]
    assert len(found) == 1, [r["body"]["messages"] for r in fake_requests(fake_llm)]
    return found[0]


def marker() -> str:
    return f"[{uuid.uuid4().hex[:6]}]"


def hide_notifications(page: Any) -> None:
    """JupyterLab's "get notified about news?" toast would cover the widget's screenshot."""
    page.add_style_tag(content=".Toastify { display: none !important; }")


def run_student_cell(page: Any) -> None:
    cell = page.locator(".jp-CodeCell").nth(1)
    cell.locator(".jp-InputArea-editor").click()
    before = cell.locator(".jp-InputPrompt").inner_text()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(
        """([el, before]) => el.innerText !== before && !el.innerText.includes('*')""",
        arg=[cell.locator(".jp-InputPrompt").element_handle(), before],
    )


def test_the_answer_grows_on_screen_while_it_is_streamed(lab, fake_llm_control, output_dir):
    words = [f"word{i}" for i in range(40)]
    fake_llm_control(reply="Streaming " + " ".join(words) + " END.", chunk_delay=0.3, clear=True)
    try:
        ask(lab, f"Explain the loop slowly {marker()}")
        # A moment where the first words are shown and the last are not: the answer grows,
        # and the status line says so (not "queued" while the words come).
        lab.wait_for_function(
            """() => {
                const all = document.querySelectorAll('.ainative-tutor-turn .ainative-msg-tutor');
                const text = all.length ? all[all.length - 1].innerText : '';
                const status = document.querySelector('.ainative-tutor-status');
                const writing = status !== null && status.innerText.startsWith('writing');
                return text.includes('Streaming') && !text.includes('END.') && writing;
            }""",
            timeout=120_000,
        )
        lab.locator(".ainative-tutor").screenshot(path=str(output_dir / "chat_streaming.png"))
        turn = wait_answered(lab, 1)
        assert "word39 END." in turn.locator(".ainative-msg-tutor").inner_text()
    finally:
        fake_llm_control(chunk_delay=0.0)
        lab.locator("button.ainative-tutor-new").click()
        lab.locator(".ainative-tutor-turn").first.wait_for(state="detached")


def test_follow_up_continues_the_conversation_in_the_students_course(
    lab, student, db, fake_llm, fake_llm_control, output_dir, stack, tmp_path
):
    user, course = student
    run_student_cell(lab)  # the cell the question is about, recorded with its id

    # "What the tutor will see" shows exactly the code and the notebook that go along.
    lab.locator(".ainative-tutor-preview").get_by_text("What the tutor will see").click()
    lab.locator(".ainative-tutor-shown-code").get_by_text("numbers = [3, 1, 4, 1, 5]").wait_for()
    lab.locator(".ainative-tutor-shown-notebook").get_by_text("tutor.ipynb").wait_for()

    # (a fresh student: the questions themselves identify the stored rows)
    first = "My loop prints 5 instead of the sum. Why?"
    second = "I changed it to total += n, now it says total is not defined."
    fake_llm_control(reply=FIRST_REPLY, clear=True)
    ask(lab, first)
    wait_answered(lab, 1)
    fake_llm_control(reply=FOLLOW_UP_REPLY)
    ask(lab, second)
    turn = wait_answered(lab, 2)
    assert "total += n" in turn.locator(".ainative-msg-tutor").inner_text()
    lab.locator(".ainative-tutor-preview").get_by_text("What the tutor will see").click()
    hide_notifications(lab)
    lab.locator(".ainative-tutor").screenshot(path=str(output_dir / "chat.png"))
    docs_img = REPO_ROOT / "docs" / "img"
    docs_img.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(output_dir / "chat.png", docs_img / "chat.png")

    # Each answer is rated on its own: helpful yes/no, and an optional 1-5 score.
    turns = lab.locator(".ainative-tutor-turn")
    turns.nth(0).locator("button.ainative-tutor-helpful").click()
    turns.nth(0).get_by_text("rating was recorded").wait_for()
    turns.nth(1).locator(".ainative-tutor-score").get_by_role("button", name="4").click()
    turns.nth(1).get_by_text("rating was recorded").wait_for()

    # Stored with the student's only course and one session, nothing sent by hand.
    one, two = row_with(db, user.id, first), row_with(db, user.id, second)
    assert (one["helpful"], one["score"]) == (True, None)
    assert (two["helpful"], two["score"]) == (None, 4)
    assert one["course_id"] == two["course_id"] == course
    assert one["session_id"] is not None and one["session_id"] == two["session_id"]
    assert one["context"]["code"].startswith("numbers = [3, 1, 4, 1, 5]")
    assert one["notebook_path"] == "tutor.ipynb" and one["cell_id"] == STUDENT_CELL_ID
    assert one["context"]["notebook"] == "tutor.ipynb"
    assert (one["turn"], two["turn"]) == (1, 2)

    # The student's cell run was recorded with course, session, notebook and cell.
    def cell_runs() -> list[dict]:
        with db.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT * FROM events WHERE user_id = :u AND event_type = 'cell.executed'"
                    " AND session_id = :s AND cell_id = :c"
                ),
                {"u": user.id, "s": one["session_id"], "c": STUDENT_CELL_ID},
            )
            return [dict(r) for r in rows.mappings()]

    events = eventually(cell_runs, 60, interval=0.5)
    assert events, "no run of the student's cell was recorded in the conversation's session"
    assert events[-1]["course_id"] == course
    assert events[-1]["notebook_path"] == "tutor.ipynb"
    assert events[-1]["payload"]["code"].startswith("numbers = [3, 1, 4, 1, 5]")

    # The follow-up reached the model with the first turn as history.
    history = llm_request_with(fake_llm, second)
    assert any(first in m["content"] for m in history if m["role"] == "user")
    assert any("total = n" in m["content"] for m in history if m["role"] == "assistant")

    # What the real widget recorded is research data: every measure and the export take it.
    results = every_measure(stack.database_url, course)
    assert user.id in set(results["time_on_task"]["user_id"])
    out = tmp_path / "ps2"
    argv = ["export", "progsnap2", "--out", str(out), "--course", str(course), "--no-progress"]
    assert cli_main(argv) == 0
    assert check(out) == []


def test_new_conversation_starts_without_history(lab, student, db, fake_llm, fake_llm_control):
    user, _ = student
    if lab.locator(".ainative-tutor-turn").count() == 0:  # run alone: one earlier turn first
        ask(lab, f"What is a loop for? {marker()}")
        wait_answered(lab, 1)
    before = interactions(db, user.id)[-1]
    lab.locator("button.ainative-tutor-new").click()
    lab.locator(".ainative-tutor-turn").first.wait_for(state="detached")

    fresh = marker()
    fake_llm_control(clear=True)
    ask(lab, f"How do I start a sum at zero? {fresh}")
    wait_answered(lab, 1)
    row = row_with(db, user.id, fresh)
    assert row["session_id"] is not None and row["session_id"] != before["session_id"]
    assert row["turn"] == 1
    with db.connect() as conn:
        ended = conn.execute(
            text("SELECT ended_at FROM tutor_sessions WHERE id = :s"),
            {"s": before["session_id"]},
        ).scalar_one()
    assert ended is not None
    sent = llm_request_with(fake_llm, fresh)
    assert [m["role"] for m in sent] == ["system", "user"]  # no earlier turn replayed


def test_html_in_an_answer_runs_no_script(lab, student, fake_llm_control):
    fake_llm_control(reply=XSS_REPLY, clear=True)
    turns = lab.locator(".ainative-tutor-turn").count()
    ask(lab, f"Show me something {marker()}")
    turn = wait_answered(lab, turns + 1)
    answer = turn.locator(".ainative-msg-tutor")
    assert "<img src=x onerror=" in answer.inner_text()  # shown as text, not markup
    assert answer.locator("img").count() == 0
    assert answer.locator("[onclick]").count() == 0
    assert answer.locator("a[href^='javascript']").count() == 0
    assert lab.evaluate("window.__pwned") is None
    assert lab.dialogs == []


def test_the_widget_shows_research_consent_but_a_server_cannot_change_it(lab, student, db):
    """20.2: the server's token reads consent (events/limits) but may not change it: whoever
    opens the student's server must not flip their research consent."""
    user, _ = student
    line = lab.locator(".ainative-tutor-consent")
    line.get_by_text("you take part").wait_for(timeout=60_000)  # the student consented
    assert lab.locator("button.ainative-tutor-consent-change").is_hidden()
    with db.connect() as conn:
        given = conn.execute(
            text("SELECT research_consent FROM users WHERE id = :u"), {"u": user.id}
        ).scalar_one()
    assert given is True
