"""'Ask a person' in the widget without a server (issue 23): when it is suggested, what the
form sends for each checkbox, and how the waiting line follows the escalation."""

from __future__ import annotations

from typing import Any

import nbformat
import pytest

from ainative.notebook.chat import Conversation, Outgoing, Turn, person_suggestion
from ainative.notebook.wire import Interaction

NAME_ERROR = (
    "Traceback (most recent call last):\n  Cell In[{n}], line 3\n"
    "NameError: name 'total' is not defined"
)


def turn(
    *, guardrail: str | None = None, helpful: bool | None = None, error: str = "", n: int = 1
) -> Turn:
    t = Turn(prompt="why?", mode="socratic", context={"error": error.format(n=n)} if error else {})
    t.finish(Interaction(id=f"i{n}", status="done", answer="a", raw={"guardrail": guardrail}))
    t.helpful = helpful
    return t


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        ([], None),
        ([turn()], None),
        ([turn(guardrail="refused")], "guardrail"),
        ([turn(guardrail="withheld")], "guardrail"),
        ([turn(guardrail="rewritten")], "guardrail"),
        ([turn(guardrail="passed")], None),
        ([turn(helpful=False)], None),
        ([turn(helpful=False), turn(helpful=False)], "unhelpful"),
        ([turn(helpful=False), turn(helpful=True)], None),
        ([turn(helpful=False), turn(), turn(helpful=False)], None),  # not in a row
        ([turn(helpful=False), turn(helpful=False), turn()], None),  # a newer answer since
        # the same error at another line number of the traceback is the same error
        ([turn(error=NAME_ERROR, n=1), turn(error=NAME_ERROR, n=2)], "repeat"),
        ([turn(error=NAME_ERROR), turn(error="ZeroDivisionError: division by zero")], None),
        ([turn(error=NAME_ERROR), turn()], None),
        ([turn(), turn()], None),  # no error at all is no repeated error
    ],
)
def test_a_person_is_suggested_when_the_tutor_did_not_help(turns, expected):
    assert person_suggestion(turns) == expected


def panel(tmp_path, outgoing: Outgoing, conversation: Conversation | None = None):
    from ainative.notebook.person_view import PersonPanel

    path = tmp_path / "week1.ipynb"
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(total)", execution_count=3)
    cell.outputs = [nbformat.v4.new_output("error", ename="NameError", evalue="no total")]
    nb.cells = [nbformat.v4.new_markdown_cell("# Week 1"), cell]
    nbformat.write(nb, path)
    shown: list[dict[str, Any]] = []
    spawned: list[Any] = []

    def spawn(coro: Any) -> None:
        spawned.append(coro)
        coro.close()

    p = PersonPanel(
        client=lambda: None,
        session=None,  # type: ignore[arg-type]  # nothing is sent in these tests
        conversation=lambda: conversation or Conversation(),
        outgoing=lambda: outgoing,
        notebook_file=lambda: path,
        spawn=spawn,
        show_reply=shown.append,
    )
    return p, shown


def test_the_form_sends_exactly_what_is_ticked(tmp_path):
    out = Outgoing(code="print(total)", error="NameError: no total", notebook="week1.ipynb")
    p, _ = panel(tmp_path, out)
    p.line.value = "  the hints did not help  "
    body = p.body()
    assert body["message"] == "the hints did not help"
    assert body["include_conversation"] is True
    assert body["cell"] == {"source": "print(total)", "error": "NameError: no total"}
    assert body["notebook_path"] == "week1.ipynb"
    assert [c["source"] for c in body["cells"]] == ["# Week 1", "print(total)"]
    assert body["cells"][1]["outputs"] == "NameError: no total"
    assert body["cells"][1]["execution_count"] == 3

    p.checks["cell"].value = p.checks["notebook"].value = p.checks["conversation"].value = False
    assert p.body() == {"message": "the hints did not help", "include_conversation": False}


def test_the_preview_shows_each_part_and_greys_out_what_is_empty(tmp_path):
    conversation = Conversation()
    t = conversation.ask("why <b>5</b>?", "socratic", {})
    t.text = "Look at the loop."
    p, _ = panel(tmp_path, Outgoing(), conversation)
    p.open()
    assert p.form.layout.display == ""
    assert "why &lt;b&gt;5&lt;/b&gt;?" in p.shown["conversation"].value  # escaped
    assert "Look at the loop." in p.shown["conversation"].value
    assert "(nothing)" in p.shown["cell"].value and p.checks["cell"].disabled
    assert "[3] print(total)" in p.shown["notebook"].value
    assert not p.checks["notebook"].disabled
    p.close()
    assert p.form.layout.display == "none"


def test_the_waiting_line_follows_the_escalation_and_shows_each_reply_once(tmp_path):
    p, shown = panel(tmp_path, Outgoing())
    base = {"id": "e1", "version": "waiting:0", "replies": []}
    p.escalation = {**base, "status": "waiting", "position": 2}  # as submit() keeps it
    p.show(p.escalation)
    assert "number 2 in the queue" in p.status.value
    assert p.button.disabled and p.withdraw_button.layout.display == ""
    p.suggest("guardrail")
    assert p.suggestion.value == "", "no suggestion while a request is open"

    reply = {"id": 7, "author": "ta1", "html": "<p>come to my desk</p>"}
    p.show({**base, "status": "answered", "replies": [reply]})
    p.show({**base, "status": "answered", "replies": [reply]})  # the next poll: same reply
    assert shown == [reply]
    assert "A person answered" in p.status.value

    p.escalation = {**base, "status": "withdrawn"}
    p.show(p.escalation)
    assert "withdrew" in p.status.value
    assert not p.button.disabled and p.withdraw_button.layout.display == "none"
    p.suggest("repeat")
    assert "The same error came back." in p.suggestion.value


def test_the_widget_suggests_a_person_after_two_unhelpful_answers():
    from ainative.notebook.widget import TutorWidget

    widget = TutorWidget(client=object())
    widget.conversation.turns = [turn(helpful=False, n=1), turn(helpful=None, n=2)]
    widget._suggest_person()
    assert widget.person.suggestion.value == ""
    widget.conversation.turns[1].helpful = False
    widget._suggest_person()
    assert "Two answers in a row did not help." in widget.person.suggestion.value


def test_a_widget_output_reaches_staff_as_a_word_not_its_python_repr(tmp_path):
    from ainative.escalation.snapshot import WIDGET_MIME, notebook_cells

    cell = nbformat.v4.new_code_cell("%tutor", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/plain": "VBox(children=(HTML(value='<style>…",
                WIDGET_MIME: {"model_id": "m1", "version_major": 2, "version_minor": 0},
            },
        ),
        nbformat.v4.new_output("stream", name="stdout", text="5\n"),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "t.ipynb")
    (shown,) = notebook_cells(tmp_path / "t.ipynb")
    assert shown["outputs"] == "(a widget)\n5\n"
