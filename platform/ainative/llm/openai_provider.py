"""The OpenAI provider: the official SDK against OpenAI or any compatible server.

One async client per process (get_provider caches the provider), driven by the
process's own event loop: the SDK pools connections, and its own retries stay on
because idle keep-alive connections get closed by servers. Errors become LLMError with
`retryable` set for timeouts, connection errors, 429 and 5xx only, so the task never
retries a 4xx.

`stream` asks for `stream=True` (with usage in the last chunk, so tokens are still
counted) and hands each text delta to the caller's listener on the loop itself: no
thread hand-over per word. The listener must not block (the worker's only notes the
text for its stream writer, tutor.streaming.writer); one that did would stall every call.
"""

from __future__ import annotations

import time
from typing import Any, cast

import httpx2
import openai
from openai.types.chat import ChatCompletionMessageParam

from ainative.config import Settings
from ainative.llm.base import LLMError, LLMRequest, LLMResult, OnDelta
from ainative.runtime.aioloop import LoopThread


def _refused(exc: BaseException) -> bool:
    """True when the chain holds a failed connect (the aiohttp transport calls it a timeout)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and not isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def retry_after(headers: httpx2.Headers | None) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header; None when absent or a date."""
    if headers is None:
        return None
    try:
        if "retry-after-ms" in headers:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        if "retry-after" in headers:
            return max(0.0, float(headers["retry-after"]))
    except ValueError:
        pass
    return None


def to_llm_error(exc: Exception) -> LLMError:
    """Map an SDK exception to an LLMError a task can decide on."""
    if isinstance(exc, openai.APITimeoutError) and not _refused(exc):
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
            retry_after=retry_after(exc.response.headers),
        )
    if isinstance(exc, ValueError):  # a 200 whose body is not the JSON it promised
        return LLMError(
            "the language model sent a malformed answer", retryable=True, reason="malformed"
        )
    return LLMError(
        f"language model call failed: {type(exc).__name__}", retryable=False, reason="other"
    )


class OpenAIProvider:
    """Chat completions through one `openai.AsyncOpenAI` client per process, on its own loop.

    An LLM call is waiting, not work: the worker's task threads hand the call to this
    process's event loop and block until it is done, so hundreds of calls in flight share
    one aiohttp connection pool (the SDK's `DefaultAioHttpClient`) and one thread, instead
    of each holding a thread that parses HTTP under the GIL.
    """

    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._loop = LoopThread("ainative-llm")
        # aiohttp binds its session to the running loop: build the client on ours.
        self.client = self._loop.run(self._make_client())

    async def _make_client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            api_key=self.settings.openai_api_key or "not-set",
            base_url=self.settings.openai_base_url or None,
            timeout=self.settings.llm_timeout_seconds,
            max_retries=self.settings.llm_max_retries,
            http_client=openai.DefaultAioHttpClient(
                limits=httpx2.Limits(
                    max_connections=self.settings.llm_max_connections,
                    max_keepalive_connections=self.settings.llm_max_connections,
                )
            ),
        )

    def default_model(self) -> str:
        return self.settings.llm_model

    def close(self) -> None:
        """Close the connection pool and stop the loop (worker shutdown, tests)."""
        if self._loop.running:
            self._loop.run(self.client.close())
        self._loop.stop()

    def complete(self, request: LLMRequest) -> LLMResult:
        """Blocking face for the worker's task threads."""
        return self._loop.run(self.acomplete(request))

    def stream(self, request: LLMRequest, on_delta: OnDelta) -> LLMResult:
        """Blocking face of `astream`: `on_delta` runs on this provider's loop, in order."""
        return self._loop.run(self.astream(request, on_delta))

    async def astream(self, request: LLMRequest, on_delta: OnDelta) -> LLMResult:
        """One streamed completion; `on_delta` runs on this loop, so it must not block.

        Through the SDK's own request path (auth, retries, timeouts, its SSE decoder and
        its in-stream error check), but with chunks as plain dicts: a typed chunk model
        per word would cost more CPU than the rest of a streamed answer in the worker.
        """
        started = time.perf_counter()
        parts: list[str] = []
        ttft_ms: int | None = None
        usage: dict[str, Any] = {}
        model, response_id, finish_reason, fingerprint = None, None, None, None
        body = {
            "model": request.model or self.settings.llm_model,
            "messages": request.messages,
            **request.decoding(),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        timeout = request.timeout or self.settings.llm_timeout_seconds
        try:
            chunks = await self.client.post(
                "/chat/completions",
                body=body,
                cast_to=object,
                options={"timeout": timeout},
                stream=True,
                stream_cls=openai.AsyncStream[object],
            )
            async for chunk in chunks:
                if not isinstance(chunk, dict):
                    raise ValueError("a streamed chunk is not a JSON object")
                response_id, model = chunk.get("id", response_id), chunk.get("model") or model
                fingerprint = chunk.get("system_fingerprint") or fingerprint
                if isinstance(chunk.get("usage"), dict):
                    usage = chunk["usage"]
                choices = chunk.get("choices")
                choice = choices[0] if isinstance(choices, list) and choices else None
                if not isinstance(choice, dict):
                    continue
                finish_reason = choice.get("finish_reason") or finish_reason
                delta = choice.get("delta")
                text = delta.get("content") if isinstance(delta, dict) else None
                if text and isinstance(text, str):
                    if ttft_ms is None:
                        ttft_ms = int((time.perf_counter() - started) * 1000)
                    parts.append(text)
                    on_delta(text)
        except (openai.OpenAIError, ValueError) as exc:  # ValueError: a chunk is not JSON
            raise to_llm_error(exc) from exc
        except (httpx2.TransportError, OSError, TimeoutError) as exc:  # broken mid-stream
            raise LLMError(
                "the language model's answer broke off", retryable=True, reason="connection"
            ) from exc
        if not parts:
            raise LLMError(
                "the language model returned an empty answer", retryable=True, reason="empty"
            )
        return LLMResult(
            text="".join(parts),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            provider=self.name,
            model=model or request.model,
            metadata={
                "response_id": response_id,
                "system_fingerprint": fingerprint,
                "model": model,
                "finish_reason": finish_reason,
            },
            ttft_ms=ttft_ms,
        )

    async def acomplete(self, request: LLMRequest) -> LLMResult:
        try:
            response = await self.client.chat.completions.create(
                model=request.model or self.settings.llm_model,
                # Plain role/content dicts, which is what the SDK's TypedDict union describes.
                messages=cast("list[ChatCompletionMessageParam]", request.messages),
                timeout=request.timeout or self.settings.llm_timeout_seconds,
                **request.decoding(),
            )
        except (openai.OpenAIError, ValueError) as exc:
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
                "system_fingerprint": response.system_fingerprint,
                "model": response.model or None,
                "finish_reason": response.choices[0].finish_reason,
            },
        )
