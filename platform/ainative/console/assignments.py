"""The console's Assignments pages (issue 22): a course's assignments with the AI window
each is under now and their leak numbers (per assignment, experiment arm and ISO week,
from `GET courses/{id}/assignment-stats`), the AI windows, and one assignment's form.

Instructors (and admins) create, change and delete assignments and add or delete AI
windows, each one API call as the signed-in user (the API checks the course and audits
it); assistants see the pages read-only, and the API never sends them the reference
solution or hidden tests. Students get the console's 403 (CourseHandler).
"""

from __future__ import annotations

from typing import Any

from ainative.console.apiclient import ApiError
from ainative.console.web import CourseHandler

FIELDS = ("title", "notebook_path", "reference_solution", "hidden_tests", "tutor_notes")
CODE = ("reference_solution", "hidden_tests")  # kept as typed: indentation matters
WINDOW_MODES = ("off", "hints-only", "normal")


def moment(value: str) -> str | None:
    """A browser's `datetime-local` value (no zone; the form says UTC) as ISO 8601 in UTC;
    a value that already names its zone is sent as it is, for the API to judge."""
    value = value.strip()
    if not value:
        return None
    if len(value) == 16:  # 2026-12-07T10:00
        value += ":00"
    if value.endswith("Z") or "+" in value[10:] or value[10:].count("-"):
        return value
    return value + "Z"


class AssignmentForm(CourseHandler):
    """Reading an assignment form the way the API wants it."""

    def submitted(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in FIELDS:
            if name in CODE:
                raw = self.get_body_argument(name, "").replace("\r\n", "\n")
                values[name] = raw if raw.strip() else ""
            else:
                values[name] = self.form(name)
        return values

    @staticmethod
    def for_create(values: dict[str, Any]) -> dict[str, Any]:
        body = {k: values[k] for k in ("title", "notebook_path", "reference_solution")}
        for name in ("hidden_tests", "tutor_notes"):
            if values.get(name):
                body[name] = values[name]
        return body

    @staticmethod
    def for_update(values: dict[str, Any]) -> dict[str, Any]:
        """Every field; an emptied hidden tests or tutor notes field clears it."""
        return {
            k: (values[k] or None) if k in ("hidden_tests", "tutor_notes") else values[k]
            for k in FIELDS
        }


class AssignmentsPage(AssignmentForm):
    """The course's assignments, their numbers and AI windows; instructors' forms."""

    async def render_list(self, course_id: int, **extra: Any) -> None:
        course = await self.course(course_id)
        listing = await self.api("GET", f"courses/{course_id}/assignments")
        stats = await self.api("GET", f"courses/{course_id}/assignment-stats")
        windows = await self.api("GET", f"courses/{course_id}/ai-windows")
        titles = {a["id"]: a["title"] for a in listing.get("data", [])}
        self.render_page(
            "assignments.html",
            course=course,
            tab="assignments",
            assignments=listing.get("data", []),
            stats={s["assignment_id"]: s for s in stats.get("data", [])},
            other=stats.get("other_notebooks") or {},
            windows=windows.get("data", []),
            titles=titles,
            modes=WINDOW_MODES,
            form=extra.pop("form", {}),
            window_form=extra.pop("window_form", {}),
            **extra,
        )

    async def get(self, course_id: str) -> None:
        deleted = self.get_query_argument("deleted", "")
        notice = "The assignment and its AI windows are deleted." if deleted else None
        await self.render_list(int(course_id), notice=notice)

    async def post(self, course_id: str) -> None:
        """One action: `create` (an assignment), `add-window` or `delete-window`."""
        cid = int(course_id)
        await self.course(cid)
        action = self.form("action")
        extra: dict[str, Any] = {}
        try:
            if action == "create":
                extra["form"] = self.submitted()
                created = await self.api(
                    "POST", f"courses/{cid}/assignments", self.for_create(extra["form"])
                )
                extra["form"] = {}
                extra["notice"] = f"Assignment “{created['title']}” created."
            elif action == "add-window":
                extra["window_form"] = {
                    k: self.form(k) for k in ("mode", "assignment_id", "starts_at", "ends_at")
                }
                await self.api("POST", f"courses/{cid}/ai-windows", self.window_body())
                extra["window_form"] = {}
                extra["notice"] = "The AI window is saved; it applies to the next question."
            elif action == "delete-window":
                window_id = self.form("window_id")
                await self.api("DELETE", f"courses/{cid}/ai-windows/{int(window_id or 0)}")
                extra["notice"] = "The AI window is deleted."
            else:
                extra["error"] = "unknown action"
                self.set_status(400)
        except ApiError as exc:
            extra["error"] = exc.message
            self.set_status(exc.status)
        except ValueError:
            extra["error"] = "window_id must be a number"
            self.set_status(422)
        await self.render_list(cid, **extra)

    def window_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "mode": self.form("mode"),
            "starts_at": moment(self.form("starts_at")),
            "ends_at": moment(self.form("ends_at")),
        }
        target = self.form("assignment_id")
        if target:
            body["assignment_id"] = int(target) if target.isdigit() else target
        return body


class AssignmentPage(AssignmentForm):
    """One assignment: the instructors' form (with the reference and hidden tests) or, for
    assistants, what it is without them; its AI windows."""

    async def render_one(
        self, course_id: int, assignment_id: int, values: dict[str, Any] | None = None, **extra: Any
    ) -> None:
        course = await self.course(course_id)
        item = await self.api("GET", f"courses/{course_id}/assignments/{assignment_id}")
        windows = await self.api(
            "GET", f"courses/{course_id}/ai-windows", params={"assignment_id": assignment_id}
        )
        self.render_page(
            "assignment.html",
            course=course,
            tab="assignments",
            item=item,
            form={**item, **(values or {})},
            windows=windows.get("data", []),
            **extra,
        )

    async def get(self, course_id: str, assignment_id: str) -> None:
        await self.render_one(int(course_id), int(assignment_id))

    async def post(self, course_id: str, assignment_id: str) -> None:
        """`save` the form's fields, or `delete` the assignment (then back to the list)."""
        cid, aid = int(course_id), int(assignment_id)
        await self.course(cid)
        path = f"courses/{cid}/assignments/{aid}"
        if self.form("action") == "delete":
            try:
                await self.api("DELETE", path)
            except ApiError as exc:
                self.set_status(exc.status)
                await self.render_one(cid, aid, error=exc.message)
                return
            self.redirect(self.url(f"courses/{cid}/assignments?deleted={aid}"))
            return
        values = self.submitted()
        try:
            await self.api("PATCH", path, self.for_update(values))
        except ApiError as exc:
            self.set_status(exc.status)
            await self.render_one(cid, aid, values, error=exc.message)
            return
        await self.render_one(cid, aid, notice="The assignment is saved.")
