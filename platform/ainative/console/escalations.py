"""The console's *Ask a person* queue: the course's hand-offs, oldest first; one request's
snapshot with claim, reply (Markdown) and resolve. Every action is one API call as the
signed-in user (the API decides who may claim and audits it); the queue page reloads
itself every CONSOLE_LIVE_POLL_MS x 5 so staff see new requests."""

from __future__ import annotations

from typing import Any

from ainative.console.apiclient import ApiError
from ainative.console.web import CourseHandler

STATUSES = ("waiting", "claimed", "answered", "resolved", "withdrawn")


class QueuePage(CourseHandler):
    async def get(self, course_id: str) -> None:
        cid = int(course_id)
        course = await self.course(cid)
        status = self.get_query_argument("status", "")
        params = {"status": status} if status in STATUSES else None
        listing = await self.api("GET", f"courses/{cid}/escalations", params=params)
        self.render_page(
            "escalations.html",
            course=course,
            tab="escalations",
            items=listing["data"],
            status=status,
            statuses=STATUSES,
            refresh_seconds=max(2, self.console.live_poll_ms * 5 // 1000),
        )


class RequestPage(CourseHandler):
    async def show(self, cid: int, eid: str, error: str | None = None) -> None:
        course = await self.course(cid)
        item = await self.api("GET", f"escalations/{eid}")
        self.render_page(
            "escalation.html", course=course, tab="escalations", item=item, error=error
        )

    async def get(self, course_id: str, eid: str) -> None:
        await self.show(int(course_id), eid)

    async def post(self, course_id: str, eid: str) -> None:
        action = self.form("action")
        body: Any = {"text": self.form("text")} if action == "reply" else None
        error = None
        if action in ("claim", "reply", "resolve"):
            try:
                await self.api("POST", f"escalations/{eid}/{action}", body)
            except ApiError as exc:
                error = exc.message
        await self.show(int(course_id), eid, error)
