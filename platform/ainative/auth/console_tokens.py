"""The staff console's API token, in exchange for the hub's OAuth token of a signed-in user.

The console (ainative.console) signs staff in with the hub's OAuth; what it holds is the
hub's token for that user. `POST /api/v1/auth/console-token` asks the hub who the token
belongs to (`GET <HUB_SERVICE_API_URL>/user`) and accepts it only when the hub issued it
to the console's OAuth client: its scopes include `access:services!service=console` and
nothing beyond what that client is given (identifying its own user). Every account may
open the console (hub/model.py), so a user's own full hub API token also holds the
console scope; it is refused by what else it holds (servers, tokens), as is a single-user
server's token, which lacks the console scope. The hub name maps to the platform account
(hub names are usernames in lower case, hub/authenticator.py); a deactivated account is
refused. The reply is an access
token with scope "console": the course staff routes only (api.deps.StaffCaller), never
me/*, auth/* or a hub login, and as short-lived as a server's.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ainative.auth.errors import HubUnavailableError, InactiveUserError, InvalidHubTokenError
from ainative.auth.tokens import CONSOLE_SCOPE, issue_access_token
from ainative.config import Settings
from ainative.db.models import User

CONSOLE_SERVICE = "console"  # the hub service's name (jupyterhub_config.py)
CONSOLE_ACCESS_SCOPE = f"access:services!service={CONSOLE_SERVICE}"
TIMEOUT = httpx.Timeout(5.0, connect=2.0)
REFUSED = "this token was not issued by the hub to the staff console: sign in again"


@dataclass(frozen=True)
class ConsoleToken:
    access_token: str
    expires_in: int


async def hub_name_of(settings: Settings, hub_token: str) -> str:
    """The hub user a console OAuth token belongs to, as the hub itself says."""
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            reply = await client.get(
                f"{settings.hub_rest_url}/user", headers={"Authorization": f"token {hub_token}"}
            )
    except httpx.HTTPError as exc:
        raise HubUnavailableError("the hub cannot be reached right now; retry shortly") from exc
    if reply.status_code in (401, 403):
        raise InvalidHubTokenError(REFUSED)
    if reply.status_code != 200:
        raise HubUnavailableError(f"the hub answered {reply.status_code}; retry shortly")
    model = reply.json()
    name = str(model.get("name", ""))
    if model.get("kind", "user") != "user" or not console_client_scopes(model.get("scopes"), name):
        raise InvalidHubTokenError(REFUSED)
    return name


def console_client_scopes(scopes: object, hub_name: str) -> bool:
    """True for the scopes of a token the hub issued to the console's OAuth client: the
    console's access scope, else only scopes that read the user's own name or groups."""
    if not isinstance(scopes, list) or CONSOLE_ACCESS_SCOPE not in scopes:
        return False
    identify = (f"read:users:name!user={hub_name}", f"read:users:groups!user={hub_name}")
    return all(s == CONSOLE_ACCESS_SCOPE or s in identify for s in scopes)


def issue_console_token(session: Session, *, hub_name: str, settings: Settings) -> ConsoleToken:
    """A console-scoped access token for the account behind a hub name."""
    user = session.execute(
        select(User).where(func.lower(User.username) == hub_name.lower())
    ).scalar_one_or_none()
    if user is None:
        raise InvalidHubTokenError(REFUSED)
    if not user.is_active:
        raise InactiveUserError("account is deactivated")
    issued = issue_access_token(
        user.id,
        user.username,
        list(user.roles),
        settings,
        generation=user.token_generation or 0,
        scope=CONSOLE_SCOPE,
    )
    return ConsoleToken(issued.token, settings.jwt_server_token_expire_minutes * 60)
