"""LLM faults seen by the provider and the task's retries: Retry-After, malformed, cut answers."""

from __future__ import annotations

import pytest

from ainative.llm import LLMError, LLMResult
from ainative.tutor.answering import call_with_retries
from tests.fakes.openai_server import DEFAULT_REPLY
from tests.unit.test_llm_openai import REQUEST, _provider


def test_a_429_carries_its_retry_after(fake_llm, fake_llm_control) -> None:
    fake_llm_control(fail_next=1, fail_status=429, retry_after=7)
    with pytest.raises(LLMError) as info:
        _provider(fake_llm.base_url).complete(REQUEST)
    assert info.value.reason == "rate_limited" and info.value.retry_after == 7.0


def test_no_retry_comes_before_the_retry_after(fake_llm, fake_llm_control) -> None:
    provider = _provider(fake_llm.base_url)
    waits: list[float] = []
    fake_llm_control(fail_next=2, fail_status=429, retry_after=3, clear=True)
    result: LLMResult = call_with_retries(
        lambda: provider.complete(REQUEST),
        provider="openai",
        retries=3,
        backoff=0.5,
        sleep=waits.append,
    )
    assert result.text == DEFAULT_REPLY
    assert waits == [3.0, 3.0]  # the server's 3 s, not the backoff's 0.5 and 1.0


def test_a_longer_backoff_wins_over_a_short_retry_after(fake_llm, fake_llm_control) -> None:
    provider = _provider(fake_llm.base_url)
    waits: list[float] = []
    fake_llm_control(fail_next=1, fail_status=429, retry_after=0.1, clear=True)
    call_with_retries(
        lambda: provider.complete(REQUEST),
        provider="openai",
        retries=1,
        backoff=2.0,
        sleep=waits.append,
    )
    assert waits == [2.0]


@pytest.mark.parametrize(("mode", "reason"), [("malformed", "malformed"), ("cut", "connection")])
def test_broken_answers_are_retryable_errors(fake_llm, fake_llm_control, mode, reason) -> None:
    fake_llm_control(fail_next=1, fail_mode=mode)
    with pytest.raises(LLMError) as info:
        _provider(fake_llm.base_url).complete(REQUEST)
    assert info.value.retryable and info.value.reason == reason


def test_a_hanging_server_is_a_timeout(fake_llm, fake_llm_control) -> None:
    fake_llm_control(fail_next=1, fail_mode="hang", hang_seconds=30)
    with pytest.raises(LLMError) as info:
        _provider(fake_llm.base_url, llm_timeout_seconds=0.3).complete(REQUEST)
    assert info.value.retryable and info.value.reason == "timeout"


@pytest.mark.parametrize(("mode", "reason"), [("malformed", "malformed"), ("cut", "connection")])
def test_broken_streams_are_retryable_errors(fake_llm, fake_llm_control, mode, reason) -> None:
    fake_llm_control(fail_next=1, fail_mode=mode)
    deltas: list[str] = []
    with pytest.raises(LLMError) as info:
        _provider(fake_llm.base_url).stream(REQUEST, deltas.append)
    assert info.value.retryable and info.value.reason == reason
    if mode == "cut":
        assert deltas and "".join(deltas) != DEFAULT_REPLY  # half an answer, then the break
