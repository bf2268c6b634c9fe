"""The conversation the widget shows: turns of question and answer, and how one is followed.

A tutor session is a conversation; each question sent with its `session_id` is the next
turn, and the server replays the earlier turns to the model. "New conversation" ends the
session; the next question opens a fresh one, without history.

No widgets here (see widget.py and turn_view.py): this is the state and the waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ainative.notebook.models import Interaction

STREAM_RENDER_INTERVAL = 0.1  # seconds between re-renders of a growing answer
POLL_WAIT = 10.0  # seconds per long-poll: short enough to show queued -> thinking
PHASES = {"queued": "queued", "running": "thinking", "done": "answered", "error": "failed"}


@dataclass
class Outgoing:
    """What would go with a question: the last cell's code and error, the notebook's name.

    The student sees exactly these in "what the tutor will see" and may untick each.
    """

    code: str | None = None
    error: str | None = None
    notebook: str | None = None
    cell_id: str | None = None

    ITEMS = ("code", "error", "notebook")

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

    def finish(self, item: Interaction) -> None:
        """The stored interaction is the truth: its answer replaces what was streamed."""
        self.interaction_id = item.id
        self.status = item.status
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


async def follow(
    client: Any,
    item: Interaction,
    on_text: Callable[[str], None],
    on_phase: Callable[[str], None],
) -> Interaction:
    """Follow a submitted question to its stored answer, streaming when the client can.

    With `client.stream` (SSE), `on_text` gets the whole answer so far after each delta
    (a "reset" replaces it: a retry, or the guardrail rewrote it); without a stream, or
    when it cannot be opened, or it ends before the answer is stored, the long-poll
    `wait()` finishes the job.
    """
    if item.finished:
        return item
    on_phase(PHASES.get(item.status, item.status))
    stream = getattr(client, "stream", None)
    if stream is not None:
        text = ""
        try:
            async for event in stream(item.id):
                if event.kind in ("delta", "reset"):
                    on_phase("writing")
                    text = event.text if event.kind == "reset" else text + event.text
                    on_text(text)
                elif event.kind == "final" and event.interaction is not None:
                    item = event.interaction
                    break
        except Exception:  # an older API without the stream: fall back to the long-poll
            on_phase("finishing" if text else PHASES.get(item.status, item.status))
    while not item.finished:
        on_phase(PHASES.get(item.status, item.status))
        item = await client.wait(item.id, timeout=POLL_WAIT)
    return item
