"""The widget's research line: "Research: you take part — change", in plain words.

Students choose at sign-up; this is where they see it, and change their mind where the
kernel holds a full login. In a hub server the kernel holds only a token scoped to the
tutor (SECURITY.md, 20.2), so whoever can open the server cannot flip the student's
consent: there the line shows the state without the button. Each change is stored
with its date and the consent text's version (ainative.course.consent), and research uses only
what was recorded while they took part.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Coroutine
from typing import Any

import ipywidgets as widgets

from ainative.course.consent import CONSENT_TEXT

TAKING_PART = "Research: <b>you take part</b>"
NOT_TAKING_PART = "Research: <b>you do not take part</b>"


class ConsentLine:
    """A label saying whether the student takes part, and a button to change it."""

    def __init__(self) -> None:
        self.state: bool | None = None
        self.label = widgets.HTML("", tooltip=CONSENT_TEXT)
        self.button = widgets.Button(
            description="change",
            tooltip=CONSENT_TEXT,
            layout=widgets.Layout(width="auto"),
            disabled=True,
        )
        self.label.add_class("ainative-tutor-consent")
        self.button.add_class("ainative-tutor-consent-change")
        self.box = widgets.HBox([self.label, self.button])

    def show(self, state: bool | None, problem: str | None = None, changeable: bool = True) -> None:
        self.state = state
        self.button.layout.display = None if changeable else "none"
        if state is None:
            self.label.value = f"<small>{html.escape(problem or 'Research: unknown')}</small>"
            self.button.disabled = True
            return
        self.label.value = f"<small>{TAKING_PART if state else NOT_TAKING_PART}</small>"
        self.button.disabled = False
        self.button.description = "stop taking part" if state else "take part"

    def on_change(
        self,
        toggle: Callable[[bool], Coroutine[Any, Any, None]],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        """Clicking asks for the opposite of the shown state."""
        self.button.on_click(
            lambda _: spawn(toggle(not self.state)) if self.state is not None else None
        )
