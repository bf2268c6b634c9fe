"""The console's pages for running a course: courses, roster, join codes, policy, experiments.

Each handler reads or changes one thing through the API and renders one template; a
refused change re-renders the page with the API's message.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from ainative.console.apiclient import ApiError
from ainative.console.web import STAFF_ONLY, STAFF_ROLES, ConsoleHandler, CourseHandler
from ainative.tutor.modes import MODE_NAMES

# The form's fields when a refused submission is shown again (it may lack some).
POLICY_BLANK: dict[str, Any] = {
    "allowed_modes": [],
    "quota_per_hour": None,
    "provider": None,
    "model": None,
    "student_notes": "",
    "extra_context": "",
    "staff_reading": "full",
}


class CoursesPage(ConsoleHandler):
    """The caller's staff courses; admins see every course and may create one."""

    async def courses(self) -> list[dict[str, Any]]:
        listing = await self.api(
            "GET", "courses", params={"mine": "false" if self.is_admin else "true"}
        )
        rows = list(listing["data"])
        if not self.is_admin:
            rows = [c for c in rows if c.get("role") in STAFF_ROLES]
            if not rows:
                raise web.HTTPError(403, STAFF_ONLY)
        return rows

    async def get(self) -> None:
        self.render_page("courses.html", courses=await self.courses(), form={})

    async def post(self) -> None:
        """Admins: create a course, then enrol its named instructor."""
        form = {k: self.form(k) for k in ("code", "title", "instructor")}
        notice = error = None
        try:
            created = await self.api(
                "POST", "courses", {"code": form["code"], "title": form["title"]}
            )
            notice = f"Course {created['code']} created."
            if form["instructor"]:
                await self.api(
                    "POST",
                    f"courses/{created['id']}/members",
                    {"username": form["instructor"], "role": "instructor"},
                )
                notice += f" {form['instructor']} is its instructor."
            form = {}
        except ApiError as exc:
            error = exc.message
            self.set_status(exc.status)
        self.render_page(
            "courses.html", courses=await self.courses(), form=form, notice=notice, error=error
        )


class CoursePage(CourseHandler):
    """Roster with activity, reset links, invitations."""

    async def render_course(self, course_id: int, **extra: Any) -> None:
        course = await self.course(course_id)
        members = await self.api("GET", f"courses/{course_id}/members")
        reset = extra.get("reset")
        if reset is not None:  # name the student from the roster, not from the form
            names = {m["user_id"]: m["username"] for m in members.get("data", [])}
            reset["username"] = names.get(reset["user_id"], f"student {reset['user_id']}")
        roster = await self.api("GET", f"courses/{course_id}/lti/roster-sync")  # api/routes/lti.py
        self.render_page(
            "course.html", course=course, members=members, roster=roster, tab="roster", **extra
        )

    async def get(self, course_id: str) -> None:
        await self.render_course(int(course_id))

    async def post(self, course_id: str) -> None:
        """One action: `invite` (username or e-mail with a role), `reset` (a student's link)
        or `roster-sync` (from the LMS)."""
        cid = int(course_id)
        await self.course(cid)
        action = self.form("action")
        extra: dict[str, Any] = {}
        try:
            if action == "invite":
                login, role = self.form("login"), self.form("role", "student")
                reply = await self.api(
                    "POST", f"courses/{cid}/members", {"username": login, "role": role}
                )
                extra["notice"] = (reply or {}).get("detail") or f"{login} is now a {role}."
            elif action == "roster-sync":  # the LMS roster (NRPS), run by a worker
                await self.api("POST", f"courses/{cid}/lti/roster-sync")
                extra["notice"] = "Roster sync asked for; reload in a moment for its changes."
            elif action == "reset":
                user_id = int(self.form("user_id") or 0)
                link = await self.api("POST", f"users/{user_id}/reset-link")
                extra["reset"] = {"user_id": user_id, **link}
            else:
                raise web.HTTPError(400, "unknown action")
        except ApiError as exc:
            extra["error"] = exc.message
            self.set_status(exc.status)
        await self.render_course(cid, **extra)


class JoinCodePage(CourseHandler):
    """The course's join code: create or rotate, expire, and a view to project."""

    async def render_code(self, course_id: int, **extra: Any) -> None:
        course = await self.course(course_id)
        summary = await self.api("GET", f"courses/{course_id}/summary")
        self.render_page(
            "joincode.html", course=course, join_code=summary.get("join_code"), tab="code", **extra
        )

    async def get(self, course_id: str) -> None:
        await self.render_code(int(course_id))

    async def post(self, course_id: str) -> None:
        cid = int(course_id)
        await self.course(cid)
        extra: dict[str, Any] = {}
        try:
            if self.form("action") == "expire":
                await self.api("DELETE", f"courses/{cid}/join-code")
                extra["notice"] = "The join code no longer works. Create a new one when needed."
            else:
                await self.api("POST", f"courses/{cid}/join-code")
                extra["notice"] = "A new join code is ready; the old one no longer works."
        except ApiError as exc:
            extra["error"] = exc.message
            self.set_status(exc.status)
        await self.render_code(cid, **extra)


class ProjectorPage(CourseHandler):
    """The join code in large type, for the lab's projector."""

    async def get(self, course_id: str) -> None:
        cid = int(course_id)
        course = await self.course(cid)
        summary = await self.api("GET", f"courses/{cid}/summary")
        self.render_page(
            "projector.html", course=course, join_code=summary.get("join_code"), tab="code"
        )


class PolicyPage(CourseHandler):
    """The tutor policy form; assistants see it read-only."""

    async def render_policy(
        self, course_id: int, policy: dict[str, Any] | None = None, **extra: Any
    ) -> None:
        course = await self.course(course_id)
        if policy is None:
            policy = await self.api("GET", f"courses/{course_id}/policy")
        policy = {**POLICY_BLANK, **policy}
        models = (await self.api("GET", "tutor/models")).get("models", [])
        self.render_page(
            "policy.html",
            course=course,
            policy=policy,
            models=models,
            modes=MODE_NAMES,
            tab="policy",
            **extra,
        )

    async def get(self, course_id: str) -> None:
        await self.render_policy(int(course_id))

    def submitted_policy(self) -> dict[str, Any]:
        policy: dict[str, Any] = {
            "allowed_modes": self.get_body_arguments("allowed_modes"),
            "student_notes": self.form("student_notes"),
            "extra_context": self.form("extra_context"),
            "staff_reading": self.form("staff_reading", "full"),
        }
        quota = self.form("quota_per_hour")
        if quota:
            policy["quota_per_hour"] = int(quota) if quota.isdigit() else quota
        model = self.form("model")
        if model:
            provider, _, name = model.partition("/")
            policy["provider"], policy["model"] = provider, name
        return policy

    async def post(self, course_id: str) -> None:
        cid = int(course_id)
        policy = self.submitted_policy()
        try:
            await self.api("PUT", f"courses/{cid}/policy", policy)
        except ApiError as exc:
            self.set_status(exc.status)
            await self.render_policy(cid, policy, error=exc.message)
            return
        await self.render_policy(
            cid, notice="The tutor policy is saved; it applies to the next question."
        )


class ExperimentsPage(CourseHandler):
    """Experiments with their arms' assignment balance; create one, end one."""

    async def render_experiments(self, course_id: int, **extra: Any) -> None:
        course = await self.course(course_id)
        experiments = await self.api("GET", f"courses/{course_id}/experiments")
        self.render_page(
            "experiments.html",
            course=course,
            experiments=experiments.get("data", []),
            tab="experiments",
            **extra,
        )

    async def get(self, course_id: str) -> None:
        await self.render_experiments(int(course_id))

    def submitted_experiment(self) -> dict[str, Any]:
        arms = []
        names = self.get_body_arguments("arm_name")
        modes = self.get_body_arguments("arm_modes")
        contexts = self.get_body_arguments("arm_context")
        for i, name in enumerate(names):
            if not name.strip():
                continue
            policy: dict[str, Any] = {}
            arm_modes = [
                m.strip() for m in (modes[i] if i < len(modes) else "").split(",") if m.strip()
            ]
            if arm_modes:
                policy["allowed_modes"] = arm_modes
            if i < len(contexts) and contexts[i].strip():
                policy["extra_context"] = contexts[i].strip()
            arms.append({"name": name.strip(), "policy": policy})
        return {"name": self.form("name"), "description": self.form("description"), "arms": arms}

    async def post(self, course_id: str) -> None:
        cid = int(course_id)
        await self.course(cid)
        extra: dict[str, Any] = {}
        try:
            ending = self.form("end")
            if ending:
                await self.api("POST", f"courses/{cid}/experiments/{int(ending)}/end")
                extra["notice"] = (
                    "The experiment has ended; its students are back on the course policy."
                )
            else:
                await self.api("POST", f"courses/{cid}/experiments", self.submitted_experiment())
                extra["notice"] = (
                    "The experiment is running; students get an arm at their first question."
                )
        except ApiError as exc:
            extra["error"] = exc.message
            self.set_status(exc.status)
        await self.render_experiments(cid, **extra)
