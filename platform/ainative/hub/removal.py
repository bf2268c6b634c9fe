"""The hub part of deleting an account: its hub user, servers and storage (issue 20.5).

Deleting an account (ainative.course.my_data.delete) queues its hub name in
`hub_deletions` in the same transaction. Then the API asks the hub at once, and the
worker's beat retries what is left (`process_pending`), so an unreachable hub never
fails the deletion and is never forgotten. The call is `DELETE /hub/api/users/<name>`
with the token of the hub service `ainative-api` (jupyterhub_config.py: a role with
the one scope `delete:users`): JupyterHub stops the user's servers, calls each
spawner's `delete_forever` (the local spawners remove the home, ainative.hub.spawner)
and forgets the user. A 404 means the user never logged in to the hub: done as well.

Docker volumes and Kubernetes PVCs are the deployer's to remove: `storage_names`
says which (docs/security-isolation.md); this module imports no JupyterHub code.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import httpx
from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ainative.config import Settings
from ainative.db.models import HubDeletion

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(30.0, connect=2.0)  # stopping a server may take a while
DONE = (204, 404)


def queue(session: Session | Connection, hub_name: str) -> None:
    """Queue the hub part of an account's deletion (in the deletion's transaction)."""
    stmt = insert(HubDeletion).values(hub_name=hub_name.lower())
    session.execute(stmt.on_conflict_do_nothing(index_elements=["hub_name"]))


def pending(session: Session, limit: int = 20) -> list[str]:
    rows = session.execute(
        select(HubDeletion.hub_name).order_by(HubDeletion.attempts, HubDeletion.queued_at)
    )
    return list(rows.scalars())[:limit]


def record(session: Session, hub_name: str, error: str | None) -> None:
    """The outcome of one attempt: done (the row goes) or why not (it stays, counted)."""
    if error is None:
        session.execute(delete(HubDeletion).where(HubDeletion.hub_name == hub_name))
        return
    session.execute(
        update(HubDeletion)
        .where(HubDeletion.hub_name == hub_name)
        .values(attempts=HubDeletion.attempts + 1, last_error=error[:500])
    )


def storage_names(hub_name: str) -> dict[str, str]:
    """What each spawner kept for the user, for the deployer's cleanup."""
    return {
        "docker": f"ainative-user-{hub_name}",
        "kubernetes": f"claim-{hub_name}",
    }


def _request(settings: Settings, hub_name: str) -> tuple[str, dict[str, str]]:
    url = f"{settings.hub_rest_url}/users/{quote(hub_name, safe='')}"
    return url, {"Authorization": f"token {settings.hub_service_secret()}"}


def _outcome(hub_name: str, status: int, body: str) -> str | None:
    if status in DONE:
        log.info("hub user %s removed (hub answered %d)", hub_name, status)
        return None
    return f"hub answered {status}: {body[:200]}"


async def remove(settings: Settings, hub_name: str) -> str | None:
    """Ask the hub to remove the user; None when done, else why not (from the API)."""
    url, headers = _request(settings, hub_name)
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            reply = await client.delete(url, headers=headers)
    except httpx.HTTPError as exc:
        return f"hub unreachable: {type(exc).__name__}: {exc}"
    return _outcome(hub_name, reply.status_code, reply.text)


def remove_sync(settings: Settings, hub_name: str) -> str | None:
    """`remove` for the worker."""
    url, headers = _request(settings, hub_name)
    try:
        reply = httpx.delete(url, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        return f"hub unreachable: {type(exc).__name__}: {exc}"
    return _outcome(hub_name, reply.status_code, reply.text)
