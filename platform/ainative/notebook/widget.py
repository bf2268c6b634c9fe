"""TutorWidget: a conversation with the tutor inside a notebook.

The student's messages and the tutor's answers stack up (turn_view.py); a follow-up
continues the same tutor session, "New conversation" ends it and starts one without
history. Answers grow on screen as they are streamed and are rendered as sanitised
HTML. Before sending, "what the tutor will see" (preview.py) shows the code, error and
notebook name that go with the question, each with a checkbox.

Every request carries the course (course_choice.py: the only one, or the one chosen and
remembered in the notebook), the session, the notebook and the cell; the course and the
session go into the kernel's KernelContext too, which the activity recorder stamps cell
runs with. Network calls run
as asyncio tasks on the kernel's loop with the async client, so a callback returns at
once and the kernel keeps running cells while a question is being answered.
"""

from __future__ import annotations

import asyncio
import html
import math
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import ipywidgets as widgets
from IPython.display import display, update_display

from ainative.config import Settings
from ainative.notebook import course_choice
from ainative.notebook.chat import PHASES, Conversation, Outgoing, Throttle, person_suggestion
from ainative.notebook.client import AsyncTutorClient
from ainative.notebook.consent_view import ConsentLine
from ainative.notebook.course_choice import BINDING_MIME, Course
from ainative.notebook.kernel_context import KernelContext, notebook_file
from ainative.notebook.person_view import PersonPanel
from ainative.notebook.preview import Preview
from ainative.notebook.render import sanitise
from ainative.notebook.staff_view import StaffLine
from ainative.notebook.turn_view import TurnView
from ainative.notebook.wire import StreamEvent, TutorClientError, clock
from ainative.tutor.modes import DEFAULT_MODE, all_modes

CSS = """<style>
.ainative-tutor { color: var(--jp-ui-font-color1); }
.ainative-tutor .ainative-msg { padding: 6px 10px; border-radius: 8px; margin: 2px 0;
  line-height: 1.45; color: var(--jp-content-font-color1); }
.ainative-tutor .ainative-msg-student { background: var(--jp-layout-color3);
  background: color-mix(in srgb, var(--jp-brand-color1) 20%, var(--jp-layout-color1));
  color: var(--jp-ui-font-color0); margin-left: 15%; }
.ainative-tutor .ainative-msg-tutor { background: var(--jp-layout-color2); margin-right: 15%; }
.ainative-tutor .ainative-msg-person { background: var(--jp-layout-color2); margin-right: 15%;
  border-left: 4px solid var(--jp-success-color1); }
.ainative-tutor .ainative-msg-error { background: var(--jp-layout-color2);
  color: var(--jp-error-color1); border-left: 4px solid var(--jp-error-color1); }
.ainative-tutor .ainative-msg pre { background: var(--jp-layout-color1); padding: 6px;
  overflow-x: auto; color: var(--jp-content-font-color1); }
.ainative-tutor pre.ainative-tutor-sent { max-height: 12em; overflow: auto; margin: 0 0 6px;
  background: var(--jp-layout-color2); color: var(--jp-content-font-color1); padding: 4px;
  white-space: pre-wrap; }
.ainative-tutor .ainative-tutor-note { color: var(--jp-ui-font-color2); }
.ainative-tutor .ainative-tutor-error-text { color: var(--jp-error-color1); }
</style>"""
HEADER = "<b>AI tutor</b> — it guides you; it does not hand out solutions."
NO_COURSE = "Choose your course…"


def _no_context() -> Outgoing:
    return Outgoing()


class TutorWidget:
    """The chat: course, conversation, follow-up box, mode, Ask, preview, status, quota."""

    def __init__(
        self,
        client: AsyncTutorClient | None = None,
        outgoing: Callable[[], Outgoing] | None = None,
        mode: str = DEFAULT_MODE,
        ip: Any = None,
        courses: list[Course] | None = None,
        context: KernelContext | None = None,
    ) -> None:
        self._client = client
        self._outgoing = outgoing or _no_context
        self.context = context or KernelContext(ip=ip)  # shared with the activity recorder
        self._courses = courses
        self._tasks: set[asyncio.Task[None]] = set()
        self._asking = False
        self._display_id = f"ainative-tutor-{uuid.uuid4().hex}"
        self._displayed = False
        self.conversation = Conversation()
        self.views: list[TurnView] = []

        # 0 stands for "not chosen yet" (a value of None would show an empty dropdown)
        self.course = widgets.Dropdown(
            options=[(NO_COURSE, 0)], value=0, description="Course", layout={"width": "auto"}
        )
        self.course.layout.display = "none"
        self.course_label = widgets.HTML("")
        self.staff_line = StaffLine()
        self.new_button = widgets.Button(
            description="New conversation",
            icon="plus",
            tooltip="end this conversation; the tutor starts afresh, without its history",
            layout=widgets.Layout(width="auto"),
        )
        self.turns = widgets.VBox([])
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
        self.ask_button = widgets.Button(description="Ask", button_style="primary", icon="send")
        self.preview = Preview(enabled=outgoing is not None)
        self.status = widgets.HTML(value="")
        self.quota = widgets.HTML(value="")
        self.consent = ConsentLine()
        self.consent.on_change(self.set_consent, self._spawn)
        for w, cls in (
            (self.course, "course"),
            (self.course_label, "course-label"),
            (self.new_button, "new"),
            (self.turns, "conversation"),
            (self.question, "question"),
            (self.mode, "mode"),
            (self.ask_button, "ask"),
            (self.status, "status"),
            (self.quota, "quota"),
        ):
            w.add_class(f"ainative-tutor-{cls}")
        self.ask_button.on_click(lambda _: self._spawn(self.ask()))
        self.new_button.on_click(lambda _: self._spawn(self.new_conversation()))
        self.course.observe(self._course_chosen, names="value")
        self.preview.accordion.observe(lambda _: self._refresh_preview(), names="selected_index")
        self.question.observe(lambda _: self._refresh_preview(), names="value")
        self.person = PersonPanel(
            client=lambda: self.client,
            session=self._session,
            conversation=lambda: self.conversation,
            outgoing=self._outgoing,
            notebook_file=lambda: notebook_file(self.context.ip),
            spawn=self._spawn,
            show_reply=self._show_reply,
        )
        self.box = widgets.VBox(
            [
                widgets.HTML(CSS + HEADER),
                widgets.HBox([self.course, self.course_label, self.new_button]),
                self.staff_line.label,
                self.turns,
                self.person.box,
                self.question,
                widgets.HBox([self.mode, self.ask_button]),
                self.preview.accordion,
                self.status,
                self.quota,
                self.consent.box,
            ]
        )
        self.box.add_class("ainative-tutor")

    # -- display and plumbing --------------------------------------------------------------

    def _bundle(self) -> dict[str, Any]:
        """The widget view plus the course choice that the notebook keeps (course_choice.py)."""
        data: dict[str, Any] = self.box._repr_mimebundle_()
        data[BINDING_MIME] = course_choice.binding_data(self.selected_course)
        return data

    def _ipython_display_(self) -> None:
        display(self._bundle(), raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]
        self._displayed = True
        self._spawn(self.setup())

    def _remember_course(self) -> None:
        if self._displayed:
            update_display(self._bundle(), raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]

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
        cls = "ainative-tutor-error-text" if error else "ainative-tutor-note"
        self.status.value = f'<span class="{cls}">{html.escape(text)}</span>'

    def _show_reply(self, reply: dict[str, Any]) -> None:
        """A staff member's reply, in the conversation (the API's sanitised HTML, sanitised
        again here: the widget trusts no HTML it did not make)."""
        who = html.escape(reply.get("author") or "staff")
        body = sanitise(reply.get("html") or "")
        message = widgets.HTML(
            f'<div class="ainative-msg ainative-msg-person"><b>{who}</b> '
            f"<small>· teaching staff</small><br>{body}</div>"
        )
        message.add_class("ainative-person-reply")
        self.turns.children = (*self.turns.children, message)

    def _suggest_person(self) -> None:
        """Point at "Ask a person" after a held-back answer, two unhelpful ones in a row or
        a repeated error (chat.person_suggestion)."""
        reason = person_suggestion(self.conversation.turns)
        if reason is not None:
            self.person.suggest(reason)

    def _refresh_preview(self) -> None:
        if self.preview.is_open:
            self.preview.show(self._outgoing())

    # -- course and session ----------------------------------------------------------------

    @property
    def selected_course(self) -> Course | None:
        return self.course_by_id(self.conversation.course_id)

    def course_by_id(self, course_id: int | None) -> Course | None:
        return next((c for c in self._courses or [] if c.id == course_id), None)

    async def setup(self) -> None:
        """Find the student's courses, pick one (or ask), then the quota."""
        try:
            if self._courses is None:
                self._courses = await self._load_courses()
            remembered = course_choice.remembered_course(notebook_file(self.context.ip))
            self.show_courses(remembered)
            if self.course_settled:  # cell runs from now on belong to this session
                await self._session()
        except TutorClientError as exc:
            self._say(str(exc), error=True)
        await self.refresh_quota()
        await self.refresh_consent()

    async def _load_courses(self) -> list[Course]:
        """The hub's list, else the API's; the hub's carries no policy, so the API is asked
        for what staff can see (best effort: unknown reads as "staff can read")."""
        listed = course_choice.parse_courses(Settings().ainative_courses)
        if listed is None:
            return course_choice.courses_from_api(await self.client.courses())
        try:
            known = {c.id: c for c in course_choice.courses_from_api(await self.client.courses())}
        except TutorClientError:
            return listed
        return [known.get(c.id, c) for c in listed]

    def show_courses(self, remembered: int | None = None) -> None:
        """One course: named. Several: a dropdown, preset to the remembered choice."""
        courses = self._courses or []
        chosen = course_choice.choose(courses, remembered)
        self._bind(chosen)  # first: presetting the dropdown below is then no change
        if len(courses) > 1:
            self.course.options = [(NO_COURSE, 0)] + [(c.label, c.id) for c in courses]
            self.course.layout.display = ""
            self.course.value = chosen.id if chosen else 0
        elif chosen is not None:
            self.course_label.value = f"<small>Course: {html.escape(chosen.label)}</small>"

    def _bind(self, course: Course | None) -> None:
        self.staff_line.show(course is not None, course.staff_reading if course else None)
        self.conversation.course_id = course.id if course else None
        self.context.course_id = self.conversation.course_id
        self.context.course_pending = not self.course_settled  # cell runs wait for it
        self._remember_course()

    def _course_chosen(self, change: dict[str, Any]) -> None:
        if (change["new"] or None) == self.conversation.course_id:
            return
        self._bind(self.course_by_id(change["new"]))
        self._spawn(self.new_conversation())

    async def _session(self) -> str:
        """The conversation's session, opened once the course is known."""
        if self.conversation.session_id is None:
            session = await self.client.start_session(self.conversation.course_id)
            self.conversation.session_id = session
            self.context.session_id = session
        return self.conversation.session_id

    async def new_conversation(self) -> None:
        """End the session; the next question starts a conversation without history."""
        old = self.conversation.session_id
        self.conversation = Conversation(course_id=self.conversation.course_id)
        self.views = []
        self.turns.children = ()
        self.question.placeholder = "Ask the tutor about your code or a concept…"
        self.context.session_id = None
        self._say("New conversation: the tutor starts afresh.")
        try:
            if old is not None:
                await self.client.end_session(old)
            if self.course_settled:
                await self._session()
        except TutorClientError as exc:
            self._say(str(exc), error=True)
        await self.refresh_quota()

    # -- asking ----------------------------------------------------------------------------

    @property
    def course_settled(self) -> bool:
        """A course is chosen, or there is nothing to choose from."""
        return len(self._courses or []) <= 1 or self.conversation.course_id is not None

    def _check(self, prompt: str) -> str | None:
        if self._asking:
            return "Wait for the answer to your last question."
        if not prompt:
            return "Type a question first."
        if not self.course_settled:
            return "Choose your course first."
        return None

    async def ask(self) -> None:
        """Send the question as the next turn and show the answer as it is written."""
        prompt = self.question.value.strip()
        problem = self._check(prompt)
        if problem:
            self._say(problem, error=True)
            return
        self._asking = True
        self.ask_button.disabled = self.new_button.disabled = self.course.disabled = True
        started = time.monotonic()
        phase = {"name": "sending"}
        ticker = asyncio.get_running_loop().create_task(self._tick(started, phase))
        view: TurnView | None = None
        try:
            outgoing = self._outgoing()
            include = self.preview.include()
            self.preview.show(outgoing)
            context = outgoing.context(include)
            session = await self._session()
            turn = self.conversation.ask(prompt, self.mode.value, context)
            view = TurnView(turn, self._rate_later)
            self.views.append(view)
            self.turns.children = (*self.turns.children, view.box)
            self.question.value = ""
            self.question.placeholder = "Ask a follow-up…"
            item = await self.client.submit(
                prompt,
                self.mode.value,
                context,
                self.conversation.course_id,
                session_id=session,
                **outgoing.request_fields(include),
            )
            turn.interaction_id = item.id
            throttle = Throttle(view.render)

            def grown(event: StreamEvent) -> None:
                turn.text = event.answer
                throttle()

            def moved(where: str) -> None:
                name = PHASES.get(where, where)
                if name != phase["name"]:  # say it now: the ticker only looks twice a second
                    phase["name"] = name
                    self._say_phase(started, phase)

            # no deadline: the widget waits as long as the question is on its way
            item = await self.client.follow(item, math.inf, on_delta=grown, on_phase=moved)
            turn.finish(item)
            view.render()
            self._suggest_person()
            if item.status == "done":
                self._say(f"answered in {time.monotonic() - started:.1f} s")
            else:
                self._say(f"the tutor could not answer: {turn.error}", error=True)
        except TutorClientError as exc:
            self._fail(view, str(exc))
        except Exception as exc:  # a widget must say what went wrong, not die silently
            self._fail(view, f"unexpected problem: {exc}")
        finally:
            ticker.cancel()
            self._asking = False
            self.ask_button.disabled = self.new_button.disabled = self.course.disabled = False
        await self.refresh_quota()

    def _fail(self, view: TurnView | None, message: str) -> None:
        if view is not None and view.turn.status not in ("done", "error"):
            view.turn.status, view.turn.error = "error", message
            view.render()
        self._say(message, error=True)

    def _say_phase(self, started: float, phase: dict[str, str]) -> None:
        self._say(f"{phase['name']}… {time.monotonic() - started:.0f} s")

    async def _tick(self, started: float, phase: dict[str, str]) -> None:
        while True:
            self._say_phase(started, phase)
            await asyncio.sleep(0.5)

    # -- rating and quota ------------------------------------------------------------------

    def _rate_later(self, view: TurnView, helpful: bool | None, score: int | None) -> None:
        self._spawn(self.rate(view, helpful=helpful, score=score))

    async def rate(
        self, view: TurnView, *, helpful: bool | None = None, score: int | None = None
    ) -> None:
        """Record whether an answer helped and/or its 1-5 score."""
        turn = view.turn
        if turn.interaction_id is None:
            return
        if helpful is not None:
            turn.helpful = helpful
        view.render()
        try:
            await self.client.rate(turn.interaction_id, helpful=helpful, score=score)
        except Exception as exc:  # shown, never lost in a background task
            if helpful is not None:
                turn.helpful = None
            text = str(exc) if isinstance(exc, TutorClientError) else f"rating failed: {exc!r}"
            view.rated(text, error=True)
            return
        if score is not None:
            turn.score = score
        view.rated("Thanks, your rating was recorded.")
        self._suggest_person()

    async def refresh_consent(self) -> None:
        try:
            # A hub server's scoped token may read consent but not change it (SECURITY.md 20.2).
            changeable = not self.client.tokens.server_key
            self.consent.show(await self.client.research_consent(), changeable=changeable)
        except TutorClientError as exc:
            self.consent.show(None, str(exc))

    async def set_consent(self, given: bool) -> None:
        """Take part in research, or stop, from the notebook (dated like at sign-up)."""
        try:
            self.consent.show(await self.client.set_research_consent(given))
        except TutorClientError as exc:
            self._say(str(exc), error=True)

    async def refresh_quota(self) -> None:
        if not self.course_settled:  # each course has its own quota
            self.quota.value = "<small>Choose your course to see your questions left.</small>"
            return
        try:
            quota = await self.client.quota(self.conversation.course_id)
        except TutorClientError as exc:
            self.quota.value = f"<small>{html.escape(str(exc))}</small>"
            return
        self.quota.value = (
            f"<small>{quota.remaining} of {quota.limit} questions left "
            f"(refills at {clock(quota.refills_at)})</small>"
        )
