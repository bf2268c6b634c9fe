"""One turn of the chat on screen: the student's message, the tutor's answer, its rating.

The answer is an ipywidgets HTML widget holding sanitised HTML (render.py), never
trusted Markdown: whatever the model wrote, nothing in it runs in the student's page.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets

from ainative.notebook.chat import Turn
from ainative.notebook.render import render_markdown, render_plain
from ainative.tutor.modes import get_mode

# (turn view, helpful or None, score or None) -> schedules the rating call
RateCallback = Callable[["TurnView", "bool | None", "int | None"], None]
SCORES = (1, 2, 3, 4, 5)


def mode_label(name: str) -> str:
    try:
        return get_mode(name).label
    except (KeyError, ValueError):
        return name


class TurnView:
    """The widgets of one turn; `render()` shows the turn's current state."""

    def __init__(self, turn: Turn, on_rate: RateCallback) -> None:
        self.turn = turn
        self.question = widgets.HTML(
            f'<div class="ainative-msg ainative-msg-student"><b>You</b> '
            f"<small>· {html.escape(mode_label(turn.mode))}</small><br>"
            f"{render_plain(turn.prompt)}</div>"
        )
        self.answer = widgets.HTML("")
        auto = widgets.Layout(width="auto")
        self.helpful = widgets.Button(
            description="Helpful", icon="thumbs-up", disabled=True, tooltip="this answer helped"
        )
        self.not_helpful = widgets.Button(
            description="Not helpful", icon="thumbs-down", disabled=True, tooltip="it did not"
        )
        self.helpful.layout = self.not_helpful.layout = auto
        self.score = widgets.ToggleButtons(
            options=[(str(s), s) for s in SCORES],
            value=None,
            tooltips=["1: useless", "2", "3", "4", "5: excellent"],
            disabled=True,
            style={"button_width": "2.4em"},
            layout=auto,
        )
        self.rating_note = widgets.HTML("")
        score_label = widgets.HTML("<small>&nbsp;&nbsp;and, if you like, a score:</small>")
        self.rating = widgets.HBox(
            [self.helpful, self.not_helpful, score_label, self.score, self.rating_note]
        )
        self.rating.layout.display = "none"
        for w, cls in (
            (self.question, "question-shown"),
            (self.answer, "answer"),
            (self.helpful, "helpful"),
            (self.not_helpful, "not-helpful"),
            (self.score, "score"),
            (self.rating_note, "rating-note"),
        ):
            w.add_class(f"ainative-tutor-{cls}")
        self.helpful.on_click(lambda _: on_rate(self, True, None))
        self.not_helpful.on_click(lambda _: on_rate(self, False, None))
        self.score.observe(self._scored, names="value")
        self._on_rate = on_rate
        self.box = widgets.VBox([self.question, self.answer, self.rating])
        self.box.add_class("ainative-tutor-turn")
        self.render()

    def _scored(self, change: dict[str, object]) -> None:
        value = change["new"]
        if isinstance(value, int) and value != self.turn.score:
            self._on_rate(self, None, value)

    def show_text(self, text: str) -> None:
        """The answer so far (while streaming) or the stored one."""
        self.answer.value = (
            f'<div class="ainative-msg ainative-msg-tutor">{render_markdown(text)}</div>'
        )

    def render(self) -> None:
        turn = self.turn
        if turn.status == "done":
            self.show_text(turn.text or "_(empty answer)_")
        elif turn.status == "error":
            self.answer.value = (
                '<div class="ainative-msg ainative-msg-error">The tutor could not answer: '
                f"{html.escape(turn.error or 'unknown error')}</div>"
            )
        elif turn.text:
            self.show_text(turn.text)
        else:
            self.answer.value = '<div class="ainative-msg ainative-msg-tutor"><i>…</i></div>'
        rateable = turn.status == "done" and turn.interaction_id is not None
        self.rating.layout.display = "flex" if rateable else "none"
        self.helpful.disabled = self.not_helpful.disabled = not rateable or turn.helpful is not None
        self.helpful.button_style = "success" if turn.helpful is True else ""
        self.not_helpful.button_style = "warning" if turn.helpful is False else ""
        self.score.disabled = not rateable

    def rated(self, note: str, error: bool = False) -> None:
        cls = "ainative-tutor-error-text" if error else "ainative-tutor-note"
        self.rating_note.value = f'<small class="{cls}">{html.escape(note)}</small>'
        self.render()
