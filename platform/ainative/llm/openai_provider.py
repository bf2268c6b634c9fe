"""The OpenAI provider: the official SDK against OpenAI or any compatible server.

One async client per process (get_provider caches the provider), driven by the
process's own event loop: the SDK pools connections, and its own retries stay on
because idle keep-alive connections get closed by servers. Errors become LLMError with
`retryable` set for timeouts, connection errors, 429 and 5xx only, so the task never
retries a 4xx.

`stream` asks for `stream=True` (with usage in the last chunk, so tokens are still
counted) and hands each text delta to the caller's listener in the caller's own thread:
the loop only fills a queue, so a slow listener (a Redis write) never stalls other calls.
"""

from __future__ import annotations

import asyncio
import queue
import time
from typing import cast

import httpx2
import openai
from openai.types.chat import ChatCompletionMessageParam

from ainative.aioloop import LoopThread
from ainative.config import Settings
from ainative.llm.base import LLMError, LLMRequest, LLMResult, OnDelta


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
        """Blocking face of `astream`: deltas reach `on_delta` in this thread, in order;
        deltas that arrived while the listener was busy are handed over joined."""
        if not self._loop.running:
            raise RuntimeError("this provider is closed")
        pieces: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        future = asyncio.run_coroutine_threadsafe(
            self.astream(request, pieces.put), self._loop.loop
        )
        future.add_done_callback(lambda _: pieces.put(None))  # after the last delta
        try:
            ended = False
            while not ended:
                batch = [pieces.get()]
                while batch[-1] is not None and not pieces.empty():
                    batch.append(pieces.get_nowait())  # behind: hand over what piled up
                ended = batch[-1] is None
                text = "".join(piece for piece in batch if piece is not None)
                if text:
                    on_delta(text)
            return future.result()
        except BaseException:
            future.cancel()
            raise

    async def astream(self, request: LLMRequest, on_delta: OnDelta) -> LLMResult:
        """One streamed completion; `on_delta` runs on this loop, so it must not block."""
        started = time.perf_counter()
        parts: list[str] = []
        ttft_ms: int | None = None
        usage, model, response_id, finish_reason = None, request.model, None, None
        try:
            chunks = await self.client.chat.completions.create(
                model=request.model or self.settings.llm_model,
                messages=cast("list[ChatCompletionMessageParam]", request.messages),
                max_tokens=request.max_tokens,
                timeout=request.timeout or self.settings.llm_timeout_seconds,
                stream=True,
                stream_options={"include_usage": True},
            )
            async for chunk in chunks:
                response_id, model = chunk.id, chunk.model or model
                usage = chunk.usage or usage
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                finish_reason = choice.finish_reason or finish_reason
                if choice.delta.content:
                    if ttft_ms is None:
                        ttft_ms = int((time.perf_counter() - started) * 1000)
                    parts.append(choice.delta.content)
                    on_delta(choice.delta.content)
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
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            provider=self.name,
            model=model or request.model,
            metadata={"response_id": response_id, "finish_reason": finish_reason},
            ttft_ms=ttft_ms,
        )

    async def acomplete(self, request: LLMRequest) -> LLMResult:
        try:
            response = await self.client.chat.completions.create(
                model=request.model or self.settings.llm_model,
                # Plain role/content dicts, which is what the SDK's TypedDict union describes.
                messages=cast("list[ChatCompletionMessageParam]", request.messages),
                max_tokens=request.max_tokens,
                timeout=request.timeout or self.settings.llm_timeout_seconds,
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
                "finish_reason": response.choices[0].finish_reason,
            },
        )
