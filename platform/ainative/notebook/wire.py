"""What the tutor API returns, as small dataclasses, and the errors a student reads.

The error classes are the notebook client's own (`TutorClientError` and its kinds); the
server side's `ainative.tutor.errors.TutorError` is a different thing (a refusal the API answers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx

TERMINAL = ("done", "error")
RETRY_STATUSES = (502, 503, 504)
EXPIRED = "your session expired — log in to the hub again"


class TutorClientError(Exception):
    """A problem the student should read; the message says what to do."""


class SessionExpiredError(TutorClientError):
    pass


class QuotaExceededError(TutorClientError):
    pass


class TutorUnavailableError(TutorClientError):
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
class StreamEvent:
    """One event of an answer's stream (AsyncTutorClient.stream).

    kind "delta": `text` is appended; "reset": `text` replaces what was shown (a retry
    or the guardrail rewrote it); "final": the stored `interaction`, whose answer wins.
    `answer` is always the whole text to show now, resets applied.
    """

    kind: Literal["delta", "reset", "final"]
    text: str
    interaction: Interaction | None = None
    answer: str = ""
    id: str | None = None


class SSEDecoder:
    """Server-Sent Events, one line at a time: (event, data, id) when an event is complete."""

    def __init__(self) -> None:
        self.event = ""
        self.data: list[str] = []
        self.last_id: str | None = None

    def feed(self, line: str) -> tuple[str, str, str | None] | None:
        if not line:
            done = (self.event or "message", "\n".join(self.data), self.last_id)
            had_event = bool(self.data or self.event)
            self.event, self.data = "", []
            return done if had_event else None
        if line.startswith(":"):
            return None  # a comment: the keep-alive
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
        elif name == "id":
            self.last_id = value
        return None


def stream_event(event: str, data: str, event_id: str | None, answer: str) -> StreamEvent | None:
    """The StreamEvent for one SSE event, given the answer shown so far (None: not ours)."""
    if event == "final":
        item = Interaction.from_json(json.loads(data))
        return StreamEvent("final", item.answer or "", item, item.answer or "", event_id)
    if event not in ("delta", "reset"):
        return None
    text = str(json.loads(data).get("text", ""))
    shown = text if event == "reset" else answer + text
    return StreamEvent(event, text, None, shown, event_id)  # type: ignore[arg-type]


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


def raise_for(response: httpx.Response, quota: Quota | None = None) -> None:
    """Turn the API's refusal into the error a student can act on (nothing below 400).

    `quota` (read after a 429 without a refill time) lets the message say when to come back.
    """
    code = response.status_code
    if code < 400:
        return
    if code == 401:
        raise SessionExpiredError(EXPIRED)
    if code == 429:
        body = response.json() if "json" in response.headers.get("content-type", "") else {}
        refills = Quota.from_json(body).refills_at if isinstance(body, dict) else None
        refills = refills or (quota.refills_at if quota else None)
        if refills or "quota" in _detail(response).lower():
            raise QuotaExceededError(f"tutor quota used up, refills at {clock(refills)}")
        raise QuotaExceededError(f"too many requests: {_detail(response)}")
    if code == 403 and "json" in response.headers.get("content-type", ""):
        body = response.json()
        if isinstance(body, dict) and body.get("ai_window") == "off":
            until = body.get("until")
            when = f"until {until[:10]} {clock(until)}" if until else "for now"
            raise TutorClientError(f"the tutor is switched off for this notebook {when}")
    if code in RETRY_STATUSES:
        raise TutorUnavailableError("the tutor is busy or restarting; try again in a minute")
    raise TutorClientError(f"the tutor refused the request ({code}): {_detail(response)}")
