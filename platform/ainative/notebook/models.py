"""What the tutor API returns, as small dataclasses, and the errors a student reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

TERMINAL = ("done", "error")
RETRY_STATUSES = (502, 503, 504)


class TutorError(Exception):
    """A problem the student should read; the message says what to do."""


class SessionExpiredError(TutorError):
    pass


class QuotaExceededError(TutorError):
    pass


class TutorUnavailableError(TutorError):
    pass


@dataclass(frozen=True)
class Interaction:
    """One answered (or failed) question, as the API returns it."""

    id: str
    status: str
    answer: str | None = None
    mode: str | None = None
    classification: str | None = None
    error: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Interaction:
        return cls(
            id=str(data["id"]),
            status=str(data.get("status", "")),
            answer=data.get("answer"),
            mode=data.get("mode"),
            classification=data.get("classification"),
            error=data.get("error"),
            raw=data,
        )

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class Quota:
    remaining: int
    limit: int
    refills_at: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Quota:
        return cls(
            remaining=int(data.get("remaining", 0)),
            limit=int(data.get("limit", 0)),
            refills_at=data.get("refills_at") or data.get("resets_at"),
        )


def clock(iso: str | None) -> str:
    """'2026-11-28T14:05:00+00:00' -> '14:05' in the kernel's local time."""
    if not iso:
        return "later"
    try:
        moment = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
        return moment.astimezone().strftime("%H:%M")
    except ValueError:
        return str(iso)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else str(body)[:200]
