"""Waiting for a condition: one loop instead of a deadline loop in every test."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    condition: Callable[[], T],
    timeout: float,
    *,
    interval: float = 0.2,
    ignore: tuple[type[BaseException], ...] = (),
) -> T:
    """Call `condition` until it returns something truthy, and return that.

    When `timeout` seconds pass first, the last value is returned (falsy), so the caller's
    assertion says what was expected. Exceptions in `ignore` count as a falsy try (a
    server still starting); any other exception ends the wait at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except ignore:
            value = None  # type: ignore[assignment]
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
