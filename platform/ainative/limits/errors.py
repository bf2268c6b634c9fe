"""The limits package's refusal: too many attempts, batches or waiting requests.

The HTTP status is in api.errors, not here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ainative.limits.ratelimit import RateLimitResult


class RateLimitedError(Exception):
    """Past a rate or concurrency limit; `verdict.retry_after` seconds until a retry may work."""

    def __init__(self, verdict: RateLimitResult) -> None:
        super().__init__(verdict.detail())
        self.verdict = verdict
