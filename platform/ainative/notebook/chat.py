"""The conversation the widget shows: turns of question and answer, and their state.

A tutor session is a conversation; each question sent with its `session_id` is the next
turn, and the server replays the earlier turns to the model. "New conversation" ends the
session; the next question opens a fresh one, without history.

No widgets here (see widget.py and turn_view.py), and no waiting (the client's `follow`
takes a question to its answer): this is the conversation's state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ainative.notebook.wire import Interaction

STREAM_RENDER_INTERVAL = 0.1  # seconds between re-renders of a growing answer
# what the status line calls where a question is (the client's `follow` reports it)
PHASES = {"queued": "queued", "running": "thinking", "done": "answered", "error": "failed"}


@dataclass
class Outgoing:
    """What would go with a question: the last cell's code, its error and the kernel's
    explanation of it, the notebook's name.

    The student sees exactly these in "what the tutor will see" and may untick each.
    """

    code: str | None = None
    error: str | None = None
    notebook: str | None = None
    cell_id: str | None = None
    explanation: str | None = None

    ITEMS = ("code", "error", "explanation", "notebook")

    def context(self, include: dict[str, bool]) -> dict[str, str]:
        """The request's `context`: the ticked, non-empty items."""
        return {
            name: value
            for name in self.ITEMS
            if include.get(name, True) and (value := getattr(self, name))
        }

    def request_fields(self, include: dict[str, bool]) -> dict[str, str]:
        """Top-level request fields: the notebook path and the cell the question is about.

        The cell goes with its code, the path with the notebook's name: unticking one in
        "what the tutor will see" keeps the other out of the trace as well.
        """
        fields: dict[str, str] = {}
        if self.notebook and include.get("notebook", True):
            fields["notebook_path"] = self.notebook
        if self.cell_id and include.get("code", True):
            fields["cell_id"] = self.cell_id
        return fields


@dataclass
class Turn:
    """One question and its answer (streamed text until the stored answer replaces it)."""

    prompt: str
    mode: str
    context: dict[str, str] = field(default_factory=dict)
    interaction_id: str | None = None
    status: str = "sending"
    text: str = ""
    error: str | None = None
    helpful: bool | None = None
    score: int | None = None
    guardrail: str | None = None  # the stored answer's guardrail outcome

    def finish(self, item: Interaction) -> None:
        """The stored interaction is the truth: its answer replaces what was streamed."""
        self.interaction_id = item.id
        self.status = item.status
        self.guardrail = item.raw.get("guardrail")
        if item.status == "done":
            self.text = item.answer or ""
        else:
            self.error = item.error or "unknown error"


@dataclass
class Conversation:
    """The turns of one tutor session, in one course."""

    course_id: int | None = None
    session_id: str | None = None
    turns: list[Turn] = field(default_factory=list)

    def ask(self, prompt: str, mode: str, context: dict[str, str]) -> Turn:
        turn = Turn(prompt=prompt, mode=mode, context=context)
        self.turns.append(turn)
        return turn

    @property
    def started(self) -> bool:
        return bool(self.turns)


HELD_BACK = ("refused", "rewritten", "withheld")  # guardrail outcomes that hold back the answer


def _error_line(turn: Turn) -> str:
    """The error's last line (type and message): the same error, wherever the traceback."""
    lines = [ln.strip() for ln in (turn.context.get("error") or "").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def person_suggestion(turns: list[Turn]) -> str | None:
    """Why the widget should point at "Ask a person" now, or None (issue 23): the last
    answer was held back by the guardrail ("guardrail"), the last two answers were both
    rated not helpful ("unhelpful"), or the last two questions came with the same error
    ("repeat")."""
    if not turns:
        return None
    if turns[-1].guardrail in HELD_BACK:
        return "guardrail"
    answered = [t for t in turns if t.status == "done"]
    if len(answered) >= 2 and all(t.helpful is False for t in answered[-2:]):
        return "unhelpful"
    if (
        len(turns) >= 2
        and _error_line(turns[-1])
        and (_error_line(turns[-1]) == _error_line(turns[-2]))
    ):
        return "repeat"
    return None


class Throttle:
    """Calls `render` at most once per `interval` seconds, and once more at `flush`."""

    def __init__(self, render: Callable[[], None], interval: float = STREAM_RENDER_INTERVAL):
        self.render = render
        self.interval = interval
        self._last = float("-inf")
        self._pending = False

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._pending = False
            self.render()
        else:
            self._pending = True

    def flush(self) -> None:
        if self._pending:
            self._pending = False
            self.render()
