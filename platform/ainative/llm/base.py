"""The provider contract: a request in, an LLMResult out, an LLMError that says if a retry helps.

Providers stream: `stream(request, on_delta)` calls `on_delta` with each piece of text in
the caller's thread as it arrives and returns the whole result, with the time to first
token measured from the start of the call. `complete` is the same call without a listener.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ainative.tutor.modes import DEFAULT_MODE


@dataclass(frozen=True)
class LLMRequest:
    """One completion request. `messages` is what a chat model reads; `mode`, `question`
    and `context` let a non-LLM provider (the offline tutor) work from the structure."""

    messages: list[dict[str, str]]
    model: str
    max_tokens: int
    mode: str = DEFAULT_MODE
    question: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    timeout: float | None = None
    temperature: float | None = None  # None: the server's default, and not sent
    seed: int | None = None  # None: not sent

    def decoding(self) -> dict[str, Any]:
        """The decoding parameters as sent: max_tokens always, temperature and seed when set."""
        sent: dict[str, Any] = {"max_tokens": self.max_tokens}
        if self.temperature is not None:
            sent["temperature"] = self.temperature
        if self.seed is not None:
            sent["seed"] = self.seed
        return sent


@dataclass(frozen=True)
class LLMResult:
    """One answer. `metadata` holds what the server said about it: `response_id`,
    `system_fingerprint`, `model` (as returned, None when it named none), `finish_reason`."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    provider: str
    model: str
    metadata: dict[str, Any] = field(default_factory=dict)
    ttft_ms: int | None = None  # call start -> first text delta; None when not streamed


OnDelta = Callable[[str], None]


def ignore_delta(_text: str) -> None:
    """The listener of a non-streaming `complete`."""


class LLMError(Exception):
    """A failed call. `retryable` is true for timeouts, connection errors, 429 and 5xx only.

    `retry_after` is the server's Retry-After in seconds, when it sent one: no retry
    may come sooner.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        reason: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class LLMProvider(Protocol):
    name: str

    def default_model(self) -> str: ...

    def complete(self, request: LLMRequest) -> LLMResult: ...

    def stream(self, request: LLMRequest, on_delta: OnDelta) -> LLMResult:
        """Answer `request`, handing each text delta to `on_delta`, in order, on any one
        thread (the caller's, or the provider's event loop): `on_delta` must not block."""
        ...
