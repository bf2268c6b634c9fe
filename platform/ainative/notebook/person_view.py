"""'Ask a person': the student hands the conversation to the course's staff (issue 23).

The student writes a line and sees exactly what goes with it, each part with a checkbox
(the conversation, the current cell and its error, the notebook's cells), like "what the
tutor will see". Once sent, the panel says "waiting for a person" with the place in the
queue, and the staff's replies join the conversation as they come: a long-poll on
`GET escalations/{id}?wait=&seen=`, woken by the same done signal as the tutor's answers.
The student may withdraw the request until it is resolved.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable, Coroutine
from typing import Any

import ipywidgets as widgets

from ainative.escalation.snapshot import notebook_cells
from ainative.notebook.chat import Conversation, Outgoing
from ainative.notebook.wire import TutorClientError

POLL_WAIT = 25.0  # seconds per long-poll
OPEN = ("waiting", "claimed", "answered")
LABELS = {
    "conversation": "the conversation with the tutor so far",
    "cell": "the current cell and its error",
    "notebook": "the notebook's cells (outputs trimmed)",
}
SUGGEST = {
    "guardrail": "The tutor held back part of its answer.",
    "unhelpful": "Two answers in a row did not help.",
    "repeat": "The same error came back.",
}
STATUS_TEXT = {
    "claimed": "A person is reading your question…",
    "answered": "A person answered (below). You can withdraw when you are done.",
    "resolved": "Your request to a person is closed.",
    "withdrawn": "You withdrew your request to a person.",
}


class PersonPanel:
    """The button, the form with its preview, and the waiting line."""

    def __init__(
        self,
        client: Callable[[], Any],
        session: Callable[[], Coroutine[Any, Any, str]],
        conversation: Callable[[], Conversation],
        outgoing: Callable[[], Outgoing],
        notebook_file: Callable[[], Any],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
        show_reply: Callable[[dict[str, Any]], None],
    ) -> None:
        self._client, self._session, self._conversation = client, session, conversation
        self._outgoing, self._notebook_file = outgoing, notebook_file
        self._spawn, self._show_reply = spawn, show_reply
        self.escalation: dict[str, Any] | None = None
        self.shown_replies: set[int] = set()
        self.button = widgets.Button(
            description="Ask a person",
            icon="user",
            tooltip="hand this conversation to a teaching assistant",
            layout=widgets.Layout(width="auto"),
        )
        self.suggestion = widgets.HTML("")
        self.line = widgets.Textarea(
            placeholder="What should the teaching assistant know? (one line is enough)",
            layout=widgets.Layout(width="100%", height="3.5em"),
        )
        self.checks = {
            name: widgets.Checkbox(value=True, description=label, indent=False)
            for name, label in LABELS.items()
        }
        self.shown = {name: widgets.HTML("") for name in LABELS}
        self.send = widgets.Button(description="Send to a person", button_style="primary")
        self.cancel = widgets.Button(description="Cancel")
        self.withdraw_button = widgets.Button(description="Withdraw", icon="times")
        self.status = widgets.HTML("")
        rows: list[widgets.Widget] = [
            self.line,
            widgets.HTML("<small>This goes to the course's staff with your line:</small>"),
        ]
        for name in LABELS:
            self.checks[name].add_class(f"ainative-person-send-{name}")
            self.shown[name].add_class(f"ainative-person-shown-{name}")
            rows += [self.checks[name], self.shown[name]]
        rows.append(widgets.HBox([self.send, self.cancel]))
        self.form = widgets.VBox(rows)
        self.form.layout.display = "none"
        self.waiting = widgets.HBox([self.status, self.withdraw_button])
        self.waiting.layout.display = "none"
        for w, cls in (
            (self.button, "ask"),
            (self.suggestion, "suggestion"),
            (self.line, "line"),
            (self.send, "send"),
            (self.cancel, "cancel"),
            (self.withdraw_button, "withdraw"),
            (self.status, "status"),
            (self.form, "form"),
        ):
            w.add_class(f"ainative-person-{cls}")
        self.button.on_click(lambda _: self.open())
        self.cancel.on_click(lambda _: self.close())
        self.send.on_click(lambda _: self._spawn(self.submit()))
        self.withdraw_button.on_click(lambda _: self._spawn(self.withdraw()))
        self.box = widgets.VBox(
            [widgets.HBox([self.button, self.suggestion]), self.form, self.waiting]
        )

    # -- the form and what it sends -----------------------------------------------------

    def suggest(self, reason: str) -> None:
        """Point at the button (after a refusal, two unhelpful answers, a repeated error)."""
        if self.escalation is None or self.escalation["status"] not in OPEN:
            self.suggestion.value = (
                f"<small>{html.escape(SUGGEST[reason])} A teaching assistant can help: "
                "<b>Ask a person</b>.</small>"
            )

    def open(self) -> None:
        self.form.layout.display = ""
        self.refresh()

    def close(self) -> None:
        self.form.layout.display = "none"

    def body(self) -> dict[str, Any]:
        """The request body, exactly what the preview shows."""
        include = {name: check.value for name, check in self.checks.items()}
        out = self._outgoing()
        body: dict[str, Any] = {
            "message": self.line.value.strip(),
            "include_conversation": include["conversation"],
        }
        if include["cell"] and (out.code or out.error):
            body["cell"] = {"source": out.code or "", "error": out.error or ""}
        if include["notebook"]:
            file = self._notebook_file()
            cells = notebook_cells(file) if file else []
            if cells:
                body["cells"] = cells
            if out.notebook:
                body["notebook_path"] = out.notebook
        return body

    def refresh(self) -> None:
        out = self._outgoing()
        turns = self._conversation().turns
        convo = "\n".join(f"You: {t.prompt}\nTutor: {t.text or t.error or '…'}" for t in turns)
        file = self._notebook_file()
        cells = notebook_cells(file) if file else []
        nb = "\n".join(f"[{c['execution_count'] or ' '}] {c['source']}" for c in cells)
        values = {
            "conversation": convo,
            "cell": "\n".join(v for v in (out.code, out.error) if v),
            "notebook": nb,
        }
        for name, value in values.items():
            self.checks[name].disabled = not value
            text = html.escape(value) if value else "<i>(nothing)</i>"
            self.shown[name].value = f'<pre class="ainative-tutor-sent">{text}</pre>'

    async def submit(self) -> None:
        if not self.line.value.strip():
            self.say("Write a line for the teaching assistant first.", error=True)
            return
        self.send.disabled = True
        try:
            session = await self._session()
            self.escalation = await self._client().escalate(session, self.body())
        except TutorClientError as exc:
            self.say(str(exc), error=True)
            return
        finally:
            self.send.disabled = False
        self.line.value = ""
        self.close()
        self.suggestion.value = ""
        self.button.disabled = True
        self.waiting.layout.display = "flex"
        self.show(self.escalation)
        self._spawn(self.follow())

    # -- waiting and replies ------------------------------------------------------------

    def say(self, text: str, error: bool = False) -> None:
        cls = "ainative-tutor-error-text" if error else "ainative-tutor-note"
        self.status.value = f'<span class="{cls}">{html.escape(text)}</span>'
        self.waiting.layout.display = "flex"

    def show(self, escalation: dict[str, Any]) -> None:
        state = escalation["status"]
        if state == "waiting":
            self.say(f"Waiting for a person… you are number {escalation['position']} in the queue.")
        else:
            self.say(STATUS_TEXT.get(state, state))
        for reply in escalation.get("replies") or []:
            if reply["id"] not in self.shown_replies:
                self.shown_replies.add(reply["id"])
                self._show_reply(reply)
        open_ = state in OPEN
        self.withdraw_button.layout.display = "" if open_ else "none"
        self.button.disabled = open_

    async def follow(self) -> None:
        """Long-poll until the request is closed; each change is shown as it comes."""
        while self.escalation is not None and self.escalation["status"] in OPEN:
            current = self.escalation
            try:
                latest = await self._client().escalation(
                    current["id"], wait=POLL_WAIT, seen=current["version"]
                )
            except TutorClientError as exc:
                self.say(str(exc), error=True)
                await asyncio.sleep(2)
                continue
            if self.escalation is not current:  # withdrawn or replaced meanwhile
                return
            self.escalation = latest
            self.show(latest)

    async def withdraw(self) -> None:
        if self.escalation is None:
            return
        try:
            self.escalation = await self._client().withdraw(self.escalation["id"])
        except TutorClientError as exc:
            self.say(str(exc), error=True)
            return
        self.show(self.escalation)
