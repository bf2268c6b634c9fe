"""The console's pages for watching a course: its questions, one conversation, the live lab.

Questions come from `GET courses/{id}/interactions` (403 when the course keeps staff
reading to totals); the live lab page polls `live.json`, which relays
`GET courses/{id}/live`, so the figures are the API's (the analytics definitions), not
the console's.
"""

from __future__ import annotations

from typing import Any

from ainative.console.apiclient import ApiError
from ainative.console.web import CourseHandler
from ainative.db.models import CLASSIFICATIONS, GUARDRAIL_OUTCOMES

FILTERS = ("student_id", "notebook", "classification", "guardrail", "rating", "since", "until")
PAGE_SIZE = 50
CONVERSATION_LIMIT = 200


class QuestionsPage(CourseHandler):
    """The course's questions and answers, newest first, with filters."""

    async def get(self, course_id: str) -> None:
        cid = int(course_id)
        course = await self.course(cid)
        filters = {k: self.get_query_argument(k, "").strip() for k in FILTERS}
        before = self.get_query_argument("before_id", "").strip()
        members = await self.api("GET", f"courses/{cid}/members")
        students = [m for m in members.get("data", []) if m.get("role") == "student"]
        page: dict[str, Any] = {"items": [], "next_before_id": None}
        aggregates = error = None
        try:
            page = await self.api(
                "GET",
                f"courses/{cid}/interactions",
                params={**filters, "before_id": before, "limit": PAGE_SIZE},
            )
        except ApiError as exc:
            if exc.status == 403:
                aggregates = exc.message
            else:
                error = exc.message
                self.set_status(exc.status)
        self.render_page(
            "questions.html",
            course=course,
            tab="questions",
            filters=filters,
            students=students,
            items=page.get("items", []),
            next_before_id=page.get("next_before_id"),
            aggregates=aggregates,
            error=error,
            classifications=CLASSIFICATIONS,
            guardrail_outcomes=GUARDRAIL_OUTCOMES,
        )


class ConversationPage(CourseHandler):
    """One student's whole conversation (a tutor session), turn by turn."""

    async def get(self, course_id: str, student_id: str, session_id: str) -> None:
        cid = int(course_id)
        course = await self.course(cid)
        page = await self.api(
            "GET",
            f"courses/{cid}/interactions",
            params={"student_id": int(student_id), "limit": CONVERSATION_LIMIT},
        )
        turns = [i for i in page.get("items", []) if str(i.get("session_id")) == session_id]
        turns.sort(key=lambda i: (i.get("turn") or 0, i.get("created_at") or ""))
        username = turns[0]["username"] if turns else f"student {student_id}"
        self.render_page(
            "conversation.html",
            course=course,
            tab="questions",
            turns=turns,
            username=username,
            student_id=int(student_id),
        )


class LivePage(CourseHandler):
    """The live lab: the page; its figures come from LiveData every second."""

    async def get(self, course_id: str) -> None:
        cid = int(course_id)
        course = await self.course(cid)
        live = await self.api("GET", f"courses/{cid}/live", params={"minutes": 15})
        self.render_page(
            "live.html",
            course=course,
            tab="live",
            live=live,
            poll_ms=self.console.live_poll_ms,
        )


class LiveData(CourseHandler):
    """JSON for the live page's script: the API's live view of the course, as it is."""

    json_route = True

    async def get(self, course_id: str) -> None:
        # The API checks the caller is the course's staff; one call per poll, no more.
        self.set_header("Cache-Control", "no-store")
        live = await self.api("GET", f"courses/{int(course_id)}/live", params={"minutes": 15})
        self.finish(live)
