"""The OpenAI provider: the official SDK against OpenAI or any compatible server.

One client per process, created on first use (get_provider caches the provider):
the SDK pools connections, and its own retries stay on because idle keep-alive
connections get closed by servers. Errors become LLMError with `retryable` set for
timeouts, connection errors, 429 and 5xx only, so the task never retries a 4xx.
"""

from __future__ import annotations

import threading
from typing import cast

import openai
from openai.types.chat import ChatCompletionMessageParam

from ainative.config import Settings
from ainative.llm.base import LLMError, LLMRequest, LLMResult


def to_llm_error(exc: Exception) -> LLMError:
    """Map an SDK exception to an LLMError a task can decide on."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMError("the language model timed out", retryable=True, reason="timeout")
    if isinstance(exc, openai.APIConnectionError):
        return LLMError("could not reach the language model", retryable=True, reason="connection")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retryable = status == 429 or status >= 500
        reason = "rate_limited" if status == 429 else f"http_{status // 100}xx"
        return LLMError(
            f"the language model answered HTTP {status}",
            retryable=retryable,
            reason=reason,
            status=status,
        )
    return LLMError(
        f"language model call failed: {type(exc).__name__}", retryable=False, reason="other"
    )


class OpenAIProvider:
    """Chat completions through one lazily created `openai.OpenAI` client."""

    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: openai.OpenAI | None = None
        self._lock = threading.Lock()

    def default_model(self) -> str:
        return self.settings.llm_model

    @property
    def client(self) -> openai.OpenAI:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = openai.OpenAI(
                        api_key=self.settings.openai_api_key or "not-set",
                        base_url=self.settings.openai_base_url or None,
                        timeout=self.settings.llm_timeout_seconds,
                        max_retries=self.settings.llm_max_retries,
                    )
        return self._client

    def complete(self, request: LLMRequest) -> LLMResult:
        try:
            response = self.client.chat.completions.create(
                model=request.model or self.settings.llm_model,
                # Plain role/content dicts, which is what the SDK's TypedDict union describes.
                messages=cast("list[ChatCompletionMessageParam]", request.messages),
                max_tokens=request.max_tokens,
                timeout=request.timeout or self.settings.llm_timeout_seconds,
            )
        except openai.OpenAIError as exc:
            raise to_llm_error(exc) from exc
        if not response.choices or not response.choices[0].message.content:
            raise LLMError(
                "the language model returned an empty answer", retryable=True, reason="empty"
            )
        usage = response.usage
        return LLMResult(
            text=response.choices[0].message.content,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            provider=self.name,
            model=response.model or request.model,
            metadata={
                "response_id": response.id,
                "finish_reason": response.choices[0].finish_reason,
            },
        )
