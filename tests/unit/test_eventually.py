"""tests.support.eventually: the wait every test shares."""

from __future__ import annotations

import time

import pytest

from tests.support.eventually import eventually


def test_the_first_truthy_value_is_returned() -> None:
    tries = iter([0, [], "", 7, 8])
    assert eventually(lambda: next(tries), 5, interval=0) == 7


def test_the_last_value_is_returned_when_time_runs_out() -> None:
    started = time.monotonic()
    assert eventually(lambda: [], 0.3, interval=0.05) == []
    assert 0.3 <= time.monotonic() - started < 2


def test_ignored_exceptions_are_a_failed_try_and_others_end_the_wait() -> None:
    tries = iter([ConnectionError("starting"), ConnectionError("starting"), "up"])

    def probe() -> str:
        got = next(tries)
        if isinstance(got, Exception):
            raise got
        return got

    assert eventually(probe, 5, interval=0, ignore=(ConnectionError,)) == "up"
    with pytest.raises(KeyError):
        eventually(lambda: {}["missing"], 5, ignore=(ConnectionError,))
