"""The notebook's one back-off policy: how long to wait, and when to stop."""

from __future__ import annotations

import math

import httpx
import pytest

from ainative.notebook.transport import Backoff, retry_after


def _busy(retry_after_header: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after_header} if retry_after_header is not None else {}
    return httpx.Response(503, headers=headers, request=httpx.Request("GET", "http://x/"))


@pytest.mark.parametrize(
    ("policy", "attempt", "response", "delay"),
    [
        (Backoff(base=0.5, retries=4), 0, None, 0.5),
        (Backoff(base=0.5, retries=4), 3, None, 4.0),
        (Backoff(base=0.5, retries=4), 4, None, None),  # the retries are spent
        (Backoff(base=0.5, retries=0), 0, None, None),  # one try only (the recorder's calls)
        (Backoff(base=0.5), 0, _busy("3"), 3.0),  # Retry-After asks for longer: waited
        (Backoff(base=0.5), 2, _busy("1"), 2.0),  # ... for shorter: the back-off wins
        (Backoff(base=0.5), 0, _busy("3600"), None),  # longer than a student waits
        (Backoff(base=2.0, retries=None, cap=60.0), 3, None, 16.0),  # the recorder's thread
        (Backoff(base=2.0, retries=None, cap=60.0), 10, None, 60.0),
        (Backoff(base=2.0, retries=None, cap=60.0), 5_000, None, 60.0),  # days offline
    ],
)
def test_backoff(policy, attempt, response, delay):
    assert policy.delay(attempt, response) == delay


def test_retry_after_reads_seconds_and_dates():
    assert retry_after(_busy("7")) == 7.0
    assert retry_after(_busy()) is None
    assert retry_after(_busy("soon")) is None
    assert retry_after(_busy("Wed, 21 Oct 2015 07:28:00 GMT")) == 0.0  # in the past
    assert Backoff().cap == math.inf
