"""Per-student tutor quota: a fixed hourly window counted in Redis (ainative.limits.ratelimit's).

The limit comes from the course policy's `quota_per_hour`, else
Settings.default_quota_per_hour. The counter is per student and course scope, so each
course's budget is its own; its key carries the hour's index and expires with the
hour. A question over the limit is given back at once, so refusals never count. If
Redis is unavailable the quota lets the request through (fail open) and
logs: the tutor stays usable and the queue itself reports its own outage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ainative.config import Settings, get_settings
from ainative.limits.ratelimit import FixedWindow

log = logging.getLogger(__name__)
HOURLY = FixedWindow("ainative:quota", 3600, grace=60)  # keys ainative:quota:<user>:<course>:<hour>


@dataclass(frozen=True)
class QuotaStatus:
    allowed: bool
    limit: int
    used: int
    resets_at: datetime
    enforced: bool = True  # false when Redis could not be asked

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def retry_after(self) -> int:
        return max(1, int((self.resets_at - datetime.now(UTC)).total_seconds() + 0.999))

    def detail(self) -> str:
        """The message a student sees when the quota is used up."""
        return (
            f"tutor quota used up: {self.limit} questions per hour; "
            f"refills at {self.resets_at:%H:%M} UTC"
        )

    def public(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "used": min(self.used, self.limit),
            "remaining": self.remaining,
            "window_seconds": HOURLY.seconds,
            "resets_at": self.resets_at.isoformat(),
            "enforced": self.enforced,
        }


def limit_for(policy: Mapping[str, Any] | None, settings: Settings | None = None) -> int:
    """The hourly limit: the course's `quota_per_hour` when it is a non-negative int."""
    value = (policy or {}).get("quota_per_hour")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return (settings or get_settings()).default_quota_per_hour


def _who(user_id: int, course_id: int | None) -> str:
    return f"{user_id}:{course_id or 0}"


def _resets_at(now: float) -> datetime:
    return datetime.fromtimestamp(HOURLY.ends_at(now), UTC)


def quota_key(user_id: int, course_id: int | None, now: float | None = None) -> str:
    """The counter key of the hour holding `now` (default: the current hour)."""
    return HOURLY.key(_who(user_id, course_id), time.time() if now is None else now)


async def consume(
    client: aioredis.Redis, user_id: int, course_id: int | None, limit: int
) -> QuotaStatus:
    """Count one question; `allowed` is false when it is over the limit (it then does not count)."""
    now = time.time()
    who, resets_at = _who(user_id, course_id), _resets_at(now)
    try:
        used = await HOURLY.add(client, who, now)
        if used > limit:
            await HOURLY.add(client, who, now, -1)
            return QuotaStatus(False, limit, limit, resets_at)
    except RedisError as exc:
        log.warning("quota not enforced, Redis unavailable: %s", exc)
        return QuotaStatus(True, limit, 0, resets_at, enforced=False)
    return QuotaStatus(True, limit, used, resets_at)


async def refund(client: aioredis.Redis, user_id: int, course_id: int | None) -> None:
    """Give one question back (a duplicate submission, or the queue refused it)."""
    try:
        await HOURLY.add(client, _who(user_id, course_id), time.time(), -1)
    except RedisError:
        pass


async def peek(
    client: aioredis.Redis, user_id: int, course_id: int | None, limit: int
) -> QuotaStatus:
    """The current usage without counting anything (for the widget)."""
    now = time.time()
    try:
        used = await HOURLY.read(client, _who(user_id, course_id), now)
    except RedisError:
        return QuotaStatus(True, limit, 0, _resets_at(now), enforced=False)
    return QuotaStatus(used < limit, limit, used, _resets_at(now))
