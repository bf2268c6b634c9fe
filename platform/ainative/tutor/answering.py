"""The answering pipeline for one interaction row: prompt -> provider -> guardrail -> values.

Pure with respect to the database: the worker task loads the row, calls
`produce_answer`, and stores what it returns. The provider call retries a bounded
number of times with exponential backoff, and only on errors a retry can fix.

The provider streams; each delta goes through a StreamGuard and what it releases goes
to `on_release` (the worker's Redis stream). Every attempt starts with a reset, so a
retry after a failure mid-answer never shows the student text twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ainative.config import Settings
from ainative.llm import LLMError, LLMRequest, LLMResult, get_provider, resolve_provider
from ainative.observability.metrics import LLM_ERRORS, LLM_LATENCY, LLM_TOKENS
from ainative.tutor.cache import CachedAnswer, ResponseCache, question_key
from ainative.tutor.classify import classify
from ainative.tutor.guardrails import GuardrailResult
from ainative.tutor.leakage import Reference
from ainative.tutor.leakage.score import HINTS_ONLY_THRESHOLD
from ainative.tutor.prompts import Turn, build_messages, prompt_version
from ainative.tutor.stream_guard import Release, StreamGuard
from ainative.tutor.tutor_only import TutorOnly

log = logging.getLogger(__name__)
OnRelease = Callable[[Release | None], None]


def _ignore(_release: Release | None) -> None:
    """The listener when nobody reads the stream (tests, scripts)."""


@dataclass
class AnswerValues:
    """What the worker stores on the interaction row."""

    answer: str
    provider: str
    model: str
    prompt_version: str
    prompt_tokens: int
    completion_tokens: int
    llm_ms: int
    cache_hit: bool
    classification: str
    guardrail: str
    guardrail_detail: dict[str, Any] = field(default_factory=dict)
    ttft_ms: int | None = None
    # The LLM's side (None on a cache hit: no call was made for this row).
    messages_sha256: str | None = None
    messages: list[dict[str, str]] | None = None  # None too when LLM_STORE_MESSAGES is off
    decoding: dict[str, Any] | None = None
    response_id: str | None = None
    system_fingerprint: str | None = None
    model_returned: str | None = None
    raw_answer: str | None = None  # as the model wrote it, before the guardrail
    # Against the assignment's reference solution (None outside an assignment).
    leak_score: float | None = None
    leak: dict[str, Any] | None = None

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def messages_sha256(messages: list[dict[str, str]]) -> str:
    """SHA-256 of the rendered messages as canonical JSON (sorted keys, no spaces, UTF-8),
    so two turns sent the same text compare equal whether or not the text is stored."""
    canonical = json.dumps(messages, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def call_with_retries(
    call: Callable[[], LLMResult],
    *,
    provider: str,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None] = time.sleep,
) -> LLMResult:
    """Call the provider; retry retryable LLMErrors up to `retries` times, doubling the wait.

    A server's Retry-After is a floor: the retry never comes sooner than it asked.
    """
    attempt = 0
    while True:
        try:
            return call()
        except LLMError as exc:
            LLM_ERRORS.labels(provider, exc.reason).inc()
            if not exc.retryable or attempt >= retries:
                raise
            wait = max(backoff * (2**attempt), exc.retry_after or 0.0)
            log.warning("LLM call failed (%s), retry %d in %.1fs", exc.reason, attempt + 1, wait)
            sleep(wait)
            attempt += 1


def stream_with_retries(
    call: Callable[[StreamGuard], LLMResult],
    *,
    classification: str,
    on_release: OnRelease,
    strict: bool = False,
    tutor_only: TutorOnly | None = None,
    reference: Reference | None = None,
    leak_threshold: float | None = None,
    **retrying: Any,
) -> tuple[LLMResult, GuardrailResult]:
    """Stream one answer through a fresh StreamGuard per attempt, each opened by a reset;
    returns the result and the guardrail's verdict, whose answer the student saw last."""
    guards: list[StreamGuard] = []

    def attempt() -> LLMResult:
        guards.append(
            StreamGuard(
                classification,
                strict=strict,
                tutor_only=tutor_only,
                reference=reference,
                leak_threshold=leak_threshold,
            )
        )
        on_release(Release("", reset=True))
        return call(guards[-1])

    result = call_with_retries(attempt, **retrying)
    release, checked = guards[-1].finish()
    on_release(release)
    return result, checked


def produce_answer(
    row: Mapping[str, Any],
    policy: Mapping[str, Any] | None,
    *,
    settings: Settings,
    cache: ResponseCache | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_release: OnRelease = _ignore,
) -> AnswerValues:
    """Answer one interaction row. Raises LLMError when the provider finally fails.

    What the student may see while the answer is written goes to `on_release`.
    """
    policy = policy or {}
    context = dict(row.get("context") or {})
    classification = classify(row["prompt"], context)
    key = question_key(
        prompt=row["prompt"],
        mode=row["mode"],
        context=row.get("context"),
        policy=policy,
        settings=settings,
    )
    history = [Turn(str(h["prompt"]), str(h["answer"])) for h in row.get("history") or ()]
    # Only a first turn may be served from or stored in the cache: a follow-up's answer
    # depends on the conversation, which the key does not contain.
    # An assignment's answers are leak-scored against its reference, which the key does not
    # hold either: they are never cached.
    reference = None
    if row.get("assignment_reference"):
        reference = Reference.of(row["assignment_reference"], row.get("assignment_tests"))
    if int(row.get("turn") or 1) > 1 or history or reference is not None:
        cache = None
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        hit = AnswerValues(**cached.as_hit(classification))
        on_release(Release(hit.answer, reset=True))
        return hit
    provider_name, model = resolve_provider(policy, settings)
    provider = get_provider(provider_name)
    strict = policy.get("guardrail") == "strict"
    request = LLMRequest(
        messages=build_messages(
            row["prompt"],
            row["mode"],
            context,
            policy.get("extra_context"),
            history=history,
            history_max_chars=settings.history_max_chars,
            variant=policy.get("prompt_variant"),
        ),
        model=model,
        max_tokens=settings.llm_max_tokens,
        mode=row["mode"],
        question=row["prompt"],
        context=context,
        timeout=settings.llm_timeout_seconds,
        temperature=settings.llm_temperature,
        seed=settings.llm_seed,
    )
    started = time.perf_counter()
    result, checked = stream_with_retries(
        lambda guard: provider.stream(request, lambda delta: on_release(guard.feed(delta))),
        classification=classification,
        on_release=on_release,
        strict=strict,
        tutor_only=TutorOnly.of(policy.get("extra_context")),
        reference=reference,
        leak_threshold=_leak_threshold(policy, row.get("ai_window")),
        provider=provider_name,
        retries=settings.task_max_retries,
        backoff=settings.llm_retry_backoff_seconds,
        sleep=sleep,
    )
    elapsed = time.perf_counter() - started
    LLM_LATENCY.labels(provider_name).observe(elapsed)
    LLM_TOKENS.labels(provider_name, "prompt").inc(result.prompt_tokens)
    LLM_TOKENS.labels(provider_name, "completion").inc(result.completion_tokens)
    detail = {**checked.detail, "provider_metadata": result.metadata}
    values = AnswerValues(
        answer=checked.answer,
        provider=result.provider,
        model=result.model,
        prompt_version=prompt_version(policy.get("prompt_variant"), strict=strict),
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        llm_ms=int(elapsed * 1000),
        cache_hit=False,
        classification=classification,
        guardrail=checked.outcome,
        guardrail_detail=detail,
        ttft_ms=result.ttft_ms,
        messages_sha256=messages_sha256(request.messages),
        messages=request.messages if settings.llm_store_messages else None,
        decoding=request.decoding(),
        response_id=_text_or_none(result.metadata.get("response_id")),
        system_fingerprint=_text_or_none(result.metadata.get("system_fingerprint")),
        model_returned=_text_or_none(result.metadata.get("model")),
        raw_answer=result.text,
        leak=checked.detail.get("leak") if reference is not None else None,
    )
    if values.leak is not None:
        values.leak_score = float(values.leak["score"])
    if cache is not None:
        cache.set(key, cached_from(values))
    return values


def _leak_threshold(policy: Mapping[str, Any], window: str | None) -> float | None:
    """The course's `leak_threshold` (0-1) if it sets a valid one; a hints-only window
    tightens it to at most HINTS_ONLY_THRESHOLD."""
    value = policy.get("leak_threshold")
    valid = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1
    threshold = float(value) if valid and value is not None else None
    if window == "hints-only":
        return min(threshold or HINTS_ONLY_THRESHOLD, HINTS_ONLY_THRESHOLD)
    return threshold


def cached_from(values: AnswerValues) -> CachedAnswer:
    return CachedAnswer(
        answer=values.answer,
        provider=values.provider,
        model=values.model,
        prompt_version=values.prompt_version,
        prompt_tokens=values.prompt_tokens,
        completion_tokens=values.completion_tokens,
        classification=values.classification,
        guardrail=values.guardrail,
        guardrail_detail=values.guardrail_detail,
    )
