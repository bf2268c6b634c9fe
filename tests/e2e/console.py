"""The staff console behind a test hub: its process, an API that knows the hub, a sign-in.

The console runs the command `ainative up` runs (ainative.runtime.processes.console_command)
on the port the hub's service entry names (Hub.console_port), with the hub's service token.
Its API is a second API process on the shared database whose HUB_SERVICE_API_URL is this
hub, so POST /api/v1/auth/console-token can ask the hub who a token belongs to.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from ainative.runtime.processes import console_command
from tests.stack import Stack, wait_http

if TYPE_CHECKING:
    from tests.e2e.conftest import Hub

PREFIX = "/services/console/"
TUTOR_MODELS = "offline:fake-model,openai:fake-model"


@dataclass
class StaffConsole:
    hub: Hub
    api: Stack  # the API the console calls (it knows the hub)

    @property
    def url(self) -> str:
        """The console as browsers reach it: through the hub's proxy."""
        return f"{self.hub.url}{PREFIX}"

    def session(self, username: str, password: str) -> httpx.Client:
        """A hub login, then the console's OAuth round trip; the client holds both cookies."""
        client = self.hub.session(username, password)
        client.follow_redirects = True
        return client


@contextmanager
def running_console(hub: Hub, output_dir: Path) -> Iterator[StaffConsole]:
    stack = hub.stack
    hub_api = f"{hub.url}/hub/api"
    log_dir = stack.log_dir / "console-api"
    log_dir.mkdir(parents=True, exist_ok=True)
    api = Stack(
        services=stack.services,
        # the fake LLM's model may be chosen in a policy (the console's policy form)
        env={
            **stack.env,
            "HUB_SERVICE_API_URL": hub_api,
            "HUB_PUBLIC_URL": hub.url,  # reset links point at this hub
            "TUTOR_MODELS": TUTOR_MODELS,
        },
        log_dir=log_dir,
    )
    api.start_api()
    env = {
        "DATA_DIR": str(output_dir / "console-data"),
        "CONSOLE_HOST": "127.0.0.1",
        "CONSOLE_PORT": str(hub.console_port),
        "CONSOLE_API_URL": api.api_url,
        "CONSOLE_HUB_TOKEN": hub.console_token,
        "CONSOLE_COOKIE_SECRET": secrets.token_hex(32),
        "HUB_SERVICE_API_URL": hub_api,
    }
    proc = stack.spawn("console", console_command(), env)
    try:
        wait_http(f"http://127.0.0.1:{hub.console_port}{PREFIX}", process=proc)
        yield StaffConsole(hub, api)
    finally:
        stack.kill("console")
        api.stop()


def console_oauth_token(hub: Hub, client: httpx.Client) -> str:
    """A hub token issued to the console's OAuth client for the signed-in user, obtained the
    way the console obtains one (authorize, then the code exchanged with the client secret)."""
    redirect_uri = f"{PREFIX}oauth_callback"
    r = client.get(
        "/hub/api/oauth2/authorize",
        params={
            "client_id": "service-console",
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": secrets.token_urlsafe(8),
        },
        follow_redirects=False,
    )
    assert r.status_code == 302, r.text[:300]
    code = httpx.URL(r.headers["location"]).params["code"]
    token = httpx.post(
        f"{hub.url}/hub/api/oauth2/token",
        data={
            "client_id": "service-console",
            "client_secret": hub.console_token,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])
