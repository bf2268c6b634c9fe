"""Routes: the caller's own data — see everything stored about you, or delete it."""

from __future__ import annotations

import dataclasses
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response
from redis.exceptions import RedisError

from ainative.auth import revocation
from ainative.course import my_data
from ainative.db.engine import on_connection
from ainative.hub import removal
from api.deps import CurrentUser
from api.schemas.errors import error_responses
from api.schemas.me import DataDeleted
from api.state import ApiState, StateDep

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/me", tags=["me"], responses=error_responses(401, 422, 503))


@router.get(
    "/data",
    responses={200: {"content": {"application/zip": {}}, "description": "JSON or a zip of CSVs"}},
)
async def read_my_data(
    user: CurrentUser,
    state: StateDep,
    format: Annotated[
        Literal["json", "zip"], Query(description="json, or zip: one CSV per table")
    ] = "json",
) -> Any:
    """Everything the platform stores about you: account, consent, courses, sessions,
    tutor interactions and notebook events."""
    tables = await state.db(on_connection(my_data.collect), user.id)
    if format == "zip":
        return Response(
            my_data.as_zip(tables),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{user.username}-data.zip"'},
        )
    return my_data.as_json(tables)


@router.delete("/data", response_model=DataDeleted, responses=error_responses(403))
async def delete_my_data(
    user: CurrentUser,
    state: StateDep,
    keep_account: Annotated[
        bool,
        Query(description="true: keep your account and delete your data; false: delete both"),
    ],
) -> DataDeleted:
    """Delete your tutor interactions, notebook events and sessions, the cached answers to
    your questions and the answers' streams; with keep_account=false your account too: its
    hub user, servers and notebooks go, and its username is never given out again."""
    if not keep_account and "admin" in user.roles:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "an admin account cannot delete itself; ask another admin to remove it",
        )
    deleted, removed = await state.db(
        on_connection(my_data.delete), user.id, keep_account=keep_account, settings=state.settings
    )
    try:
        keys = removed.cache_keys
        dropped = await state.cache.client.delete(*keys) if keys else 0
        if removed.stream_keys:
            await state.redis.delete(*removed.stream_keys)
        if not keep_account:  # cut off live access tokens of the deleted account at once
            await revocation.mark_disabled(state.redis, user_id=user.id, settings=state.settings)
    except RedisError:
        dropped = 0
        log.warning(
            "user %d data deleted; Redis unreachable, cached answers and streams expire by TTL",
            user.id,
        )
    deleted = dataclasses.replace(deleted, cached_answers=int(dropped))
    if removed.username is not None:
        await _remove_from_hub(state, removed.username.lower())
    log.info(
        "user %d deleted their data: %d interactions, %d events, %d sessions, %d cached "
        "answers, account %s",
        user.id,
        deleted.interactions,
        deleted.events,
        deleted.sessions,
        deleted.cached_answers,
        "deleted" if deleted.account_deleted else "kept",
    )
    return DataDeleted(**deleted.public())


async def _remove_from_hub(state: ApiState, hub_name: str) -> None:
    """The hub user, servers and storage now; when the hub cannot, the worker's beat
    retries the queued row (ainative.hub.removal), and the deletion still succeeds."""
    error = await removal.remove(state.settings, hub_name)
    await state.db(removal.record, hub_name, error)
    if error is not None:
        log.warning("hub part of a deleted account queued for retry: %s", error)
