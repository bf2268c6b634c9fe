"""'What the tutor will see': the code, error, explanation and notebook name of a question.

A closed disclosure under the question box; opened, it shows each item exactly as it
will be sent, with a checkbox to leave it out. It is refreshed when opened, while the
student types, and right before sending, so what is shown is what goes.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from ainative.notebook.chat import Outgoing

TITLE = "What the tutor will see"
LABELS = {
    "code": "the code of the last cell you ran",
    "error": "its error message",
    "explanation": "Python's explanation of that error",
    "notebook": "the notebook's name",
}
EMPTY = {
    "code": "(no cell run yet)",
    "error": "(the last cell ran without an error)",
    "explanation": "(no explanation: no error, or none found in time)",
    "notebook": "(not known here)",
}


class Preview:
    """The disclosure; `include()` is what the student left ticked."""

    def __init__(self, enabled: bool = True) -> None:
        self.checks = {
            name: widgets.Checkbox(value=enabled, description=LABELS[name], indent=False)
            for name in Outgoing.ITEMS
        }
        self.shown = {name: widgets.HTML("") for name in Outgoing.ITEMS}
        rows: list[widgets.Widget] = [
            widgets.HTML("<small>Besides your question, this goes to the tutor:</small>")
        ]
        for name in Outgoing.ITEMS:
            self.checks[name].add_class(f"ainative-tutor-send-{name}")
            self.shown[name].add_class(f"ainative-tutor-shown-{name}")
            rows += [self.checks[name], self.shown[name]]
        self.accordion = widgets.Accordion(children=[widgets.VBox(rows)], titles=(TITLE,))
        self.accordion.selected_index = None
        self.accordion.add_class("ainative-tutor-preview")

    def show(self, outgoing: Outgoing) -> None:
        """Show `outgoing` as it would be sent; items with nothing to send are disabled."""
        for name in Outgoing.ITEMS:
            value = getattr(outgoing, name)
            self.checks[name].disabled = not value
            text = html.escape(value) if value else f"<i>{EMPTY[name]}</i>"
            self.shown[name].value = f'<pre class="ainative-tutor-sent">{text}</pre>'

    def include(self) -> dict[str, bool]:
        return {name: check.value for name, check in self.checks.items()}

    @property
    def is_open(self) -> bool:
        return self.accordion.selected_index is not None
