"""The base of every console page: hub OAuth sign-in, the API for this user, the templates.

Each request resolves the hub user (HubOAuthenticated; the hub's OAuth cookie), then
speaks to the API as that user through ConsoleApi. A page that is not logged in goes to
the hub's login; API refusals are rendered as readable messages, never a stack trace.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jupyterhub.services.auth import HubOAuth, HubOAuthenticated, UserNotAllowed
from tornado import web

from ainative.console.apiclient import ApiError, ConsoleApi

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
STAFF_ONLY = "This page is for course staff."
STAFF_ROLES = ("instructor", "assistant")


@dataclass
class Console:
    """What every handler shares: the hub's OAuth, the API client and the templates."""

    hub_auth: HubOAuth
    api: ConsoleApi
    templates: jinja2.Environment
    prefix: str
    live_poll_ms: int


def template_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,  # a field the API leaves out renders empty
    )


class ConsoleHandler(HubOAuthenticated, web.RequestHandler):  # type: ignore[misc]
    """Signed in through the hub; `api` calls the platform as the signed-in user."""

    json_route = False  # JSON routes answer 403 instead of redirecting to the login

    def initialize(self, console: Console) -> None:
        self.console = console
        self.hub_auth = console.hub_auth

    async def prepare(self) -> None:
        """Resolve the hub user without blocking the loop; unknown visitors go to the login."""
        model = await self.hub_auth.get_user(self, sync=False)
        if model is not None:
            try:
                model = self.check_hub_user(model)
            except UserNotAllowed:
                raise web.HTTPError(403, STAFF_ONLY) from None
        self._hub_auth_user_cache = model
        if model is None:
            if self.request.method in ("GET", "HEAD") and not self.json_route:
                self.redirect(self.get_login_url())
                return
            raise web.HTTPError(403, "sign in through the hub first")

    @property
    def user(self) -> dict[str, Any]:
        return dict(self.current_user or {})

    @property
    def is_admin(self) -> bool:
        return bool(self.user.get("admin"))

    async def api(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        token = self.hub_auth.get_token(self)
        if not token:
            raise web.HTTPError(403, "sign in through the hub first")
        return await self.console.api.call(token, method, f"/api/v1/{path}", body, params)

    def url(self, path: str = "") -> str:
        return f"{self.console.prefix}{path}"

    def render_page(self, name: str, **context: Any) -> None:
        template = self.console.templates.get_template(name)
        self.finish(
            template.render(
                user=self.current_user,
                is_admin=self.is_admin,
                prefix=self.console.prefix,
                xsrf=self.xsrf_token.decode()
                if isinstance(self.xsrf_token, bytes)
                else self.xsrf_token,
                notice=context.pop("notice", None),
                error=context.pop("error", None),
                **context,
            )
        )

    def form(self, name: str, default: str = "") -> str:
        return self.get_body_argument(name, default).strip()

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, ApiError):
            log.info(
                "API refused %s %s: %s %s",
                self.request.method,
                self.request.path,
                value.status,
                value.message,
            )
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A page (or JSON) saying what went wrong in words; never a traceback."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            status_code = exc.status if 400 <= exc.status < 600 else 502
            self.set_status(status_code)
            message = exc.message
        elif isinstance(exc, web.HTTPError) and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        elif status_code == 403:
            message = STAFF_ONLY
        elif status_code >= 500:
            message = "Something went wrong in the console; the error is in its log."
        else:
            message = self._reason
        if self.json_route:
            self.finish({"detail": message})
            return
        template = self.console.templates.get_template("error.html")
        self.finish(
            template.render(
                user=self.current_user if hasattr(self, "_hub_auth_user_cache") else None,
                is_admin=False,
                prefix=self.console.prefix,
                status_code=status_code,
                message=message,
                notice=None,
                error=None,
            )
        )


class CourseHandler(ConsoleHandler):
    """A page about one course: the caller must be its staff (or an admin)."""

    async def course(self, course_id: int) -> dict[str, Any]:
        """The course with the caller's powers in it: `can_manage` (instructors, admins)."""
        course = dict(await self.api("GET", f"courses/{course_id}"))
        role = course.get("role")
        if not self.is_admin and role not in STAFF_ROLES:
            raise web.HTTPError(403, STAFF_ONLY)
        course["can_manage"] = self.is_admin or role == "instructor"
        return course
