"""The OpenAI provider: the real SDK against the fake OpenAI-compatible server."""

from __future__ import annotations

import httpx
import pytest

from ainative.config import Settings
from ainative.llm import LLMError, LLMRequest, LLMResult
from ainative.llm.openai_provider import OpenAIProvider
from ainative.tutor.answering import call_with_retries
from tests.fakes.openai_server import DEFAULT_REPLY, SYSTEM_FINGERPRINT

_opened: list[OpenAIProvider] = []


@pytest.fixture(autouse=True)
def _close_providers():
    yield
    while _opened:
        _opened.pop().close()


def _provider(base_url: str, **overrides: object) -> OpenAIProvider:
    fields = dict(
        openai_base_url=base_url,
        openai_api_key="sk-test",
        llm_model="fake-model",
        llm_timeout_seconds=5,
        llm_max_retries=0,
    )
    fields.update(overrides)
    provider = OpenAIProvider(Settings(**fields))
    _opened.append(provider)
    return provider


REQUEST = LLMRequest(
    messages=[{"role": "system", "content": "be Socratic"}, {"role": "user", "content": "why?"}],
    model="fake-model",
    max_tokens=50,
)


def _received(fake) -> list[dict]:
    return httpx.get(f"{fake.root_url}/_requests").json()


def test_completion_through_the_sdk(fake_llm, fake_llm_control) -> None:
    fake_llm_control(clear=True)
    provider = _provider(fake_llm.base_url)
    result = provider.complete(REQUEST)
    assert result.text == DEFAULT_REPLY
    assert result.provider == "openai" and result.model == "fake-model"
    assert result.prompt_tokens > 0 and result.completion_tokens > 0
    body = _received(fake_llm)[-1]["body"]
    assert body["messages"] == REQUEST.messages and body["max_tokens"] == 50
    assert provider.client is provider.client  # one client, created once


@pytest.mark.parametrize(
    ("status", "retryable"), [(400, False), (404, False), (429, True), (500, True), (503, True)]
)
def test_errors_say_whether_a_retry_helps(fake_llm, fake_llm_control, status, retryable) -> None:
    fake_llm_control(fail_next=1, fail_status=status)
    with pytest.raises(LLMError) as info:
        _provider(fake_llm.base_url).complete(REQUEST)
    assert info.value.retryable is retryable and info.value.status == status


def test_connection_refused_is_retryable() -> None:
    from ainative.runtime.devservices import free_port

    with pytest.raises(LLMError) as info:
        _provider(f"http://127.0.0.1:{free_port()}/v1").complete(REQUEST)
    assert info.value.retryable and info.value.reason == "connection"


def test_timeout_is_retryable(fake_llm, fake_llm_control) -> None:
    fake_llm_control(latency=1.0)
    with pytest.raises(LLMError) as info:
        _provider(fake_llm.base_url, llm_timeout_seconds=0.2).complete(REQUEST)
    assert info.value.retryable and info.value.reason == "timeout"


def test_task_retries_5xx_with_backoff_but_never_4xx(fake_llm, fake_llm_control) -> None:
    provider = _provider(fake_llm.base_url)
    waits: list[float] = []

    def call(retries: int, backoff: float) -> LLMResult:
        return call_with_retries(
            lambda: provider.complete(REQUEST),
            provider="openai",
            retries=retries,
            backoff=backoff,
            sleep=waits.append,
        )

    fake_llm_control(fail_next=2, fail_status=500, clear=True)
    result = call(retries=3, backoff=0.5)
    assert result.text == DEFAULT_REPLY and waits == [0.5, 1.0]
    assert len(_received(fake_llm)) == 3

    waits.clear()
    fake_llm_control(fail_next=1, fail_status=400, clear=True)
    with pytest.raises(LLMError):
        call(retries=3, backoff=0.5)
    assert waits == [] and len(_received(fake_llm)) == 1

    fake_llm_control(fail_next=10, fail_status=502, clear=True)
    with pytest.raises(LLMError):
        call(retries=2, backoff=0.1)
    assert waits == [0.1, 0.2] and len(_received(fake_llm)) == 3


def test_streaming_hands_over_deltas_and_counts_tokens(fake_llm, fake_llm_control) -> None:
    fake_llm_control(clear=True, chunk_delay=0.005)
    try:
        deltas: list[str] = []
        result = _provider(fake_llm.base_url).stream(REQUEST, deltas.append)
    finally:
        fake_llm_control(chunk_delay=0.0)
    assert len(deltas) > 5 and "".join(deltas) == result.text == DEFAULT_REPLY
    assert result.prompt_tokens > 0 and result.completion_tokens > 0
    assert result.ttft_ms is not None and result.metadata["finish_reason"] == "stop"
    body = _received(fake_llm)[-1]["body"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_a_failed_stream_is_a_retryable_llm_error(fake_llm, fake_llm_control) -> None:
    fake_llm_control(fail_next=1, fail_status=503)
    deltas: list[str] = []
    with pytest.raises(LLMError) as failed:
        _provider(fake_llm.base_url).stream(REQUEST, deltas.append)
    assert failed.value.retryable and failed.value.status == 503 and deltas == []


@pytest.mark.parametrize("streamed", [False, True])
def test_decoding_parameters_go_out_and_the_servers_ids_come_back(
    fake_llm, fake_llm_control, streamed
) -> None:
    """Temperature and seed are sent when set; id, fingerprint and served model return."""
    fake_llm_control(clear=True, served_model="fake-model-2026-01-01")
    provider = _provider(fake_llm.base_url)
    request = LLMRequest(
        messages=REQUEST.messages, model="fake-model", max_tokens=50, temperature=0.2, seed=7
    )
    result = provider.stream(request, lambda _t: None) if streamed else provider.complete(request)
    body = _received(fake_llm)[-1]["body"]
    assert (body["temperature"], body["seed"], body["max_tokens"]) == (0.2, 7, 50)
    assert request.decoding() == {"max_tokens": 50, "temperature": 0.2, "seed": 7}
    assert str(result.metadata["response_id"]).startswith("chatcmpl-")
    assert result.metadata["system_fingerprint"] == SYSTEM_FINGERPRINT
    assert result.metadata["model"] == "fake-model-2026-01-01" == result.model
