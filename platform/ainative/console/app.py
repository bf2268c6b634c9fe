"""The console's tornado application and its entry point (`python -m ainative.console`).

The hub declares it as the external service "console" (jupyterhub_config.py) and proxies
/services/console/ to CONSOLE_HOST:CONSOLE_PORT; the service's token (CONSOLE_HUB_TOKEN)
is its OAuth client secret. `ainative up`, compose and Kubernetes run this same command
(ainative.runtime.processes.console_command).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from tornado import web

from ainative.config import Settings, get_settings
from ainative.console import assignments, escalations, pages, questions
from ainative.console.apiclient import ConsoleApi
from ainative.console.web import Console, ConsoleHandler, template_environment
from ainative.observability.logging import configure_logging

log = logging.getLogger(__name__)
SERVICE_NAME = "console"
PREFIX = f"/services/{SERVICE_NAME}/"
STATIC = Path(__file__).parent / "static"


def hub_oauth(settings: Settings) -> HubOAuth:
    """The hub's OAuth for this service (client `service-console`), configured from Settings."""
    return HubOAuth(
        api_token=settings.console_service_secret(),
        api_url=settings.hub_rest_url,
        oauth_client_id=f"service-{SERVICE_NAME}",
        oauth_redirect_uri=f"{PREFIX}oauth_callback",
        base_url=PREFIX,
        hub_prefix="/hub/",
        access_scopes={f"access:services!service={SERVICE_NAME}"},
        cache_max_age=60,
    )


class OAuthCallback(HubOAuthCallbackHandler):  # type: ignore[misc]
    def initialize(self, console: Console) -> None:
        self.hub_auth = console.hub_auth


class NotFound(ConsoleHandler):
    """Any other path: the console's own 404 page (after the sign-in)."""

    async def get(self, *args: str) -> None:
        raise web.HTTPError(404, "There is no such page in the staff console.")

    post = get


def make_app(settings: Settings, api: ConsoleApi | None = None) -> web.Application:
    console = Console(
        hub_auth=hub_oauth(settings),
        api=api or ConsoleApi(settings.console_api_base),
        templates=template_environment(),
        prefix=PREFIX,
        live_poll_ms=settings.console_live_poll_ms,
    )
    ctx: dict[str, Any] = {"console": console}
    course = rf"{PREFIX}courses/(\d+)"
    routes = [
        (rf"{PREFIX}oauth_callback", OAuthCallback, ctx),
        (PREFIX, pages.CoursesPage, ctx),
        (rf"{course}/?", pages.CoursePage, ctx),
        (rf"{course}/join-code", pages.JoinCodePage, ctx),
        (rf"{course}/join-code/projector", pages.ProjectorPage, ctx),
        (rf"{course}/policy", pages.PolicyPage, ctx),
        (rf"{course}/experiments", pages.ExperimentsPage, ctx),
        (rf"{course}/assignments", assignments.AssignmentsPage, ctx),
        (rf"{course}/assignments/(\d+)", assignments.AssignmentPage, ctx),
        (rf"{course}/questions", questions.QuestionsPage, ctx),
        (rf"{course}/questions/(\d+)/([0-9a-fA-F-]+)", questions.ConversationPage, ctx),
        (rf"{course}/live", questions.LivePage, ctx),
        (rf"{course}/live\.json", questions.LiveData, ctx),
        (rf"{course}/escalations", escalations.QueuePage, ctx),
        (rf"{course}/escalations/([0-9a-fA-F-]{{36}})", escalations.RequestPage, ctx),
        (PREFIX.rstrip("/"), web.RedirectHandler, {"url": PREFIX}),
    ]
    return web.Application(
        routes,
        cookie_secret=settings.console_cookie_key(),
        xsrf_cookies=True,
        static_path=str(STATIC),
        static_url_prefix=f"{PREFIX}static/",
        default_handler_class=NotFound,
        default_handler_args=ctx,
        debug=False,
    )


async def serve(settings: Settings) -> None:
    app = make_app(settings)
    app.listen(settings.console_port, settings.console_host, xheaders=True)
    log.info(
        "staff console at http://%s:%s%s", settings.console_host, settings.console_port, PREFIX
    )
    await asyncio.Event().wait()


def main() -> None:
    settings = get_settings()
    settings.check_production("console")
    configure_logging("console", settings.log_format, settings.log_level)
    asyncio.run(serve(settings))
