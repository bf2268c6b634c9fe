"""Routes: hub — a one-click JupyterHub login link, and the staff console's token.

The link carries a login JWT (aud "jupyterhub", <= 120 s, single use) that the hub's
AINativeAuthenticator checks at GET /hub/login?token=...
The console trades the hub's OAuth token of a signed-in user for a console-scoped access
token (ainative.auth.console_tokens).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from ainative.auth import console_tokens
from ainative.auth.tokens import issue_login_token
from ainative.config import Settings
from api.deps import AppSettings, CurrentUser
from api.schemas.auth import Strict
from api.schemas.errors import error_responses
from api.schemas.text import Text
from api.state import StateDep

router = APIRouter(
    prefix="/api/v1/auth", tags=["hub"], responses=error_responses(400, 401, 422, 503)
)


class HubTokenCreate(BaseModel):
    next: Text | None = Field(
        None,
        max_length=500,
        description="hub path to open after login, e.g. /hub/spawn",
        json_schema_extra={"pattern": "^/([^/\\u0000][^\\u0000]*)?$"},  # as _local_path checks
    )

    @field_validator("next")
    @classmethod
    def _local_path(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("/") or value.startswith("//")):
            raise ValueError("next must be a path on the hub, starting with a single '/'")
        return value


class HubTokenPublic(BaseModel):
    token: str
    login_url: str
    expires_in: int


def hub_public_url(settings: Settings) -> str:
    return (settings.hub_public_url or f"http://127.0.0.1:{settings.hub_port}").rstrip("/")


@router.post("/hub-token", response_model=HubTokenPublic)
def create_hub_token(
    user: CurrentUser, settings: AppSettings, body: HubTokenCreate | None = None
) -> HubTokenPublic:
    """A short-lived, single-use link that logs the caller into JupyterHub."""
    issued = issue_login_token(user.id, user.username, settings)
    query = {"token": issued.token}
    if body is not None and body.next:
        query["next"] = body.next
    return HubTokenPublic(
        token=issued.token,
        login_url=f"{hub_public_url(settings)}/hub/login?{urlencode(query)}",
        expires_in=settings.jwt_login_token_expire_seconds,
    )


class ConsoleTokenCreate(Strict):
    hub_token: str = Field(
        min_length=1,
        max_length=500,
        pattern=r"^[!-~]+$",  # a hub token is printable ASCII; it goes in a header
        description="the hub's OAuth token of the signed-in user, issued to the console",
    )


class ConsoleTokenPublic(BaseModel):
    access_token: str
    expires_in: int


@router.post("/console-token", response_model=ConsoleTokenPublic, responses=error_responses(403))
async def create_console_token(body: ConsoleTokenCreate, state: StateDep) -> ConsoleTokenPublic:
    """A console-scoped access token for the user of a hub token issued to the staff console."""
    hub_name = await console_tokens.hub_name_of(state.settings, body.hub_token)
    token = await state.db(
        console_tokens.issue_console_token, hub_name=hub_name, settings=state.settings
    )
    return ConsoleTokenPublic(access_token=token.access_token, expires_in=token.expires_in)
