"""TutorWidget: ask the tutor from a notebook and watch the answer arrive.

Every network call runs as an asyncio task on the kernel's event loop with the async
client, so a widget callback returns at once and the kernel keeps running cells while a
question is being answered (queued -> thinking -> answered, with elapsed seconds).
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable, Coroutine
from typing import Any

import ipywidgets as widgets
from IPython.display import Markdown, display

from ainative.notebook.client import AsyncTutorClient
from ainative.notebook.models import Interaction, TutorClientError, clock
from ainative.tutor.modes import DEFAULT_MODE, all_modes

PHASES = {"queued": "queued", "running": "thinking", "done": "answered", "error": "failed"}
POLL_WAIT = 10.0  # seconds per long-poll: short enough to show queued -> thinking


class TutorWidget:
    """Question box, mode, context checkbox, Ask, live status, Markdown answer, rating, quota."""

    def __init__(
        self,
        client: AsyncTutorClient | None = None,
        context_provider: Callable[[], dict[str, str] | None] | None = None,
        mode: str = DEFAULT_MODE,
    ) -> None:
        self._client = client
        self._context_provider = context_provider or (lambda: None)
        self._tasks: set[asyncio.Task[None]] = set()
        self._asking = False
        self.interaction: Interaction | None = None

        self.question = widgets.Textarea(
            placeholder="Ask the tutor about your code or a concept…",
            layout=widgets.Layout(width="100%", height="5em"),
        )
        self.mode = widgets.Dropdown(
            options=[(m.label, m.name) for m in all_modes()],
            value=mode,
            description="Mode",
            layout=widgets.Layout(width="30em"),  # the longest label whole
        )
        self.include_context = widgets.Checkbox(
            value=context_provider is not None,
            description="include my current cell and its last error",
            indent=False,
        )
        self.ask_button = widgets.Button(description="Ask", button_style="primary", icon="send")
        self.status = widgets.HTML(value="")
        self.answer = widgets.Output(layout=widgets.Layout(border="1px solid #ddd", padding="4px"))
        self.helpful = widgets.Button(description="Helpful", icon="thumbs-up", disabled=True)
        self.not_helpful = widgets.Button(
            description="Not helpful", icon="thumbs-down", disabled=True
        )
        self.quota = widgets.HTML(value="")
        for w, cls in (
            (self.question, "question"),
            (self.ask_button, "ask"),
            (self.status, "status"),
            (self.answer, "answer"),
            (self.quota, "quota"),
            (self.helpful, "helpful"),
            (self.not_helpful, "not-helpful"),
        ):
            w.add_class(f"ainative-tutor-{cls}")
        self.ask_button.on_click(lambda _: self._spawn(self.ask()))
        self.helpful.on_click(lambda _: self._spawn(self.rate(helpful=True)))
        self.not_helpful.on_click(lambda _: self._spawn(self.rate(helpful=False)))
        self.box = widgets.VBox(
            [
                widgets.HTML("<b>AI tutor</b> — it guides you; it does not hand out solutions."),
                self.question,
                widgets.HBox([self.mode, self.ask_button]),
                self.include_context,
                self.status,
                self.answer,
                widgets.HBox([self.helpful, self.not_helpful, self.quota]),
            ]
        )
        self.box.add_class("ainative-tutor")

    # -- display and plumbing --------------------------------------------------------------

    def _ipython_display_(self) -> None:
        display(self.box)  # type: ignore[no-untyped-call]  # IPython.display is unannotated
        self._spawn(self.refresh_quota())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` on the kernel's loop; the callback returns immediately."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            try:
                loop = asyncio.get_event_loop()
            except RuntimeError:  # no loop at all in this thread
                loop = None
        if loop is None or not loop.is_running():  # plain IPython: nothing to drive it
            coro.close()
            return
        task = loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def client(self) -> AsyncTutorClient:
        if self._client is None:
            self._client = AsyncTutorClient()
        return self._client

    def _say(self, text: str, error: bool = False) -> None:
        colour = "#b00020" if error else "#555"
        self.status.value = f'<span style="color:{colour}">{html.escape(text)}</span>'

    # -- actions ---------------------------------------------------------------------------

    async def ask(self) -> None:
        """Submit the question and follow it to the answer, updating the status line."""
        prompt = self.question.value.strip()
        if self._asking:
            return
        if not prompt:
            self._say("Type a question first.", error=True)
            return
        self._asking = True
        self.ask_button.disabled = True
        self.helpful.disabled = self.not_helpful.disabled = True
        self.answer.outputs = ()
        started = time.monotonic()
        phase = {"name": "queued"}
        ticker = asyncio.get_running_loop().create_task(self._tick(started, phase))
        try:
            context = self._context_provider() if self.include_context.value else None
            item = await self.client.submit(prompt, self.mode.value, context)
            while not item.finished:
                phase["name"] = PHASES.get(item.status, item.status)
                item = await self.client.wait(item.id, timeout=POLL_WAIT)
            self.interaction = item
            elapsed = time.monotonic() - started
            if item.status == "done":
                shown = Markdown(item.answer or "_(empty answer)_")  # type: ignore[no-untyped-call]
                self.answer.append_display_data(shown)
                self._say(f"answered in {elapsed:.1f} s")
                self.helpful.disabled = self.not_helpful.disabled = False
            else:
                self._say(f"the tutor could not answer: {item.error or 'unknown error'}", True)
        except TutorClientError as exc:
            self._say(str(exc), error=True)
        except Exception as exc:  # a widget must say what went wrong, not die silently
            self._say(f"unexpected problem: {exc}", error=True)
        finally:
            ticker.cancel()
            self._asking = False
            self.ask_button.disabled = False
        await self.refresh_quota()

    async def _tick(self, started: float, phase: dict[str, str]) -> None:
        while True:
            self._say(f"{phase['name']}… {time.monotonic() - started:.0f} s")
            await asyncio.sleep(0.5)

    async def rate(self, *, helpful: bool) -> None:
        """Record helpful / not helpful (the thumbs) for the last answer."""
        if self.interaction is None:
            return
        self.helpful.disabled = self.not_helpful.disabled = True
        try:
            await self.client.rate(self.interaction.id, helpful=helpful)
            self._say("Thanks, your rating was recorded.")
        except Exception as exc:  # shown, never lost in a background task
            self._say(
                str(exc) if isinstance(exc, TutorClientError) else f"rating failed: {exc!r}", True
            )
            self.helpful.disabled = self.not_helpful.disabled = False

    async def refresh_quota(self) -> None:
        try:
            quota = await self.client.quota()
        except TutorClientError as exc:
            self.quota.value = f"<small>{html.escape(str(exc))}</small>"
            return
        self.quota.value = (
            f"<small>{quota.remaining} of {quota.limit} questions left "
            f"(refills at {clock(quota.refills_at)})</small>"
        )
