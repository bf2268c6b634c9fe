"""The LLM response cache: Redis with a TTL on every key, an in-process LRU when Redis is down.

The key hashes everything that shapes an answer: the question, mode, request context,
course context, provider, model and PROMPT_VERSION. Every Redis key gets a TTL
(LLM_CACHE_TTL) so `maxmemory-policy volatile-lru` may evict cache keys but never
the broker's. When Redis is unreachable the cache answers from a bounded LRU of
LLM_CACHE_MAX_ENTRIES in this process, says so in `status()`, and retries Redis
after a short pause instead of paying a connect timeout on every call.

One implementation, two faces: the steps of `get` and `set` (Redis first, memory on
failure, TTL, (de)serialisation, hit/miss counting) are written once, as generators
that yield each Redis `Command` they need and receive its reply or its RedisError.
ResponseCache runs them on a sync client (the worker), AsyncResponseCache on the
API's async client; neither face holds any logic of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Generator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ainative.config import Settings, get_settings
from ainative.llm.factory import resolve_provider
from ainative.observability.metrics import CACHE_REQUESTS
from ainative.tutor.prompts import PROMPT_VERSION, prompt_version

log = logging.getLogger(__name__)
PREFIX = "ainative:llmcache:v1:"
RETRY_REDIS_AFTER = 5.0  # seconds the cache stays on memory after a Redis failure
T = TypeVar("T")


def cache_key(
    *,
    prompt: str,
    mode: str,
    context: Mapping[str, Any] | None,
    model: str,
    provider: str,
    extra_context: str | None = None,
    prompt_version: str = PROMPT_VERSION,
) -> str:
    """A Redis key for an answer: sha256 over every input that shapes it."""
    material = json.dumps(
        {
            "prompt": prompt.strip(),
            "mode": mode,
            "context": {k: v for k, v in sorted((context or {}).items()) if v},
            "extra_context": extra_context or "",
            "model": model,
            "provider": provider,
            "prompt_version": prompt_version,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return PREFIX + hashlib.sha256(material.encode()).hexdigest()


def question_key(
    *,
    prompt: str,
    mode: str,
    context: Mapping[str, Any] | None,
    policy: Mapping[str, Any],
    settings: Settings,
) -> str:
    """The key of a question under its course policy: the one the API looks up is the one
    the worker stores under (the same provider and model resolution on both sides)."""
    provider, model = resolve_provider(policy, settings)
    return cache_key(
        prompt=prompt,
        mode=mode,
        context=context,
        model=model,
        provider=provider,
        extra_context=policy.get("extra_context"),
        prompt_version=prompt_version(
            policy.get("prompt_variant"), strict=policy.get("guardrail") == "strict"
        ),
    )


@dataclass(frozen=True)
class CachedAnswer:
    answer: str
    provider: str
    model: str
    prompt_version: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    classification: str | None = None
    guardrail: str | None = None
    guardrail_detail: dict[str, Any] = field(default_factory=dict)

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str | bytes) -> CachedAnswer:
        return cls(**json.loads(raw))

    def as_hit(self, classification: str) -> dict[str, Any]:
        """The interaction fields of an answer served from the cache (no LLM, no tokens)."""
        return {
            "answer": self.answer,
            "provider": self.provider,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "llm_ms": 0,
            "cache_hit": True,
            "classification": self.classification or classification,
            "guardrail": self.guardrail or "passed",
            "guardrail_detail": self.guardrail_detail,
        }


class MemoryLRU:
    """A thread-safe LRU with per-entry expiry: the fallback when Redis is unreachable."""

    def __init__(self, max_entries: int, ttl: float) -> None:
        self.max_entries, self.ttl = max_entries, ttl
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return item[1]

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


@dataclass(frozen=True)
class Command:
    """One Redis call a step needs: `client.<name>(*args, **kwargs)`."""

    name: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)


# A cache operation: yields Commands, is sent their replies (or thrown their RedisError).
Steps = Generator[Command, Any, T]


def _resume(steps: Steps[T], outcome: Any) -> Command:
    """Hand the last command's reply, or throw its RedisError, into `steps`; get the next one."""
    if isinstance(outcome, RedisError):
        return steps.throw(outcome)
    return steps.send(outcome)


def run_sync(client: redis.Redis, steps: Steps[T]) -> T:
    """Drive `steps` on a sync client."""
    outcome: Any = None
    try:
        while True:
            command = _resume(steps, outcome)
            try:
                outcome = getattr(client, command.name)(*command.args, **command.kwargs)
            except RedisError as exc:
                outcome = exc
    except StopIteration as done:
        result: T = done.value
        return result


async def run_async(client: aioredis.Redis, steps: Steps[T]) -> T:
    """Drive `steps` on an async client."""
    outcome: Any = None
    try:
        while True:
            command = _resume(steps, outcome)
            try:
                outcome = await getattr(client, command.name)(*command.args, **command.kwargs)
            except RedisError as exc:
                outcome = exc
    except StopIteration as done:
        result: T = done.value
        return result


class CacheCore:
    """Everything a response cache decides, for both faces: the steps, fallback and status."""

    def __init__(self, settings: Settings | None) -> None:
        self.settings = settings or get_settings()
        self.enabled = self.settings.llm_cache_enabled
        self.ttl = self.settings.llm_cache_ttl
        self.memory = MemoryLRU(self.settings.llm_cache_max_entries, self.ttl)
        self._down_until = 0.0
        self.last_error: str | None = None

    @property
    def backend(self) -> str:
        return "memory" if self._down_until > time.monotonic() else "redis"

    def status(self) -> dict[str, Any]:
        """For health: which backend answers and why."""
        out: dict[str, Any] = {"enabled": self.enabled, "backend": self.backend}
        if self.backend == "memory":
            out["reason"] = f"Redis unreachable ({self.last_error}); using in-process LRU"
            out["memory_entries"] = len(self.memory)
        return out

    def _use_redis(self) -> bool:
        return self._down_until <= time.monotonic()

    def _failed(self, exc: Exception) -> None:
        if self._use_redis():
            log.warning("response cache: Redis unreachable, using memory: %s", exc)
        self.last_error = f"{type(exc).__name__}: {exc}"[:200]
        self._down_until = time.monotonic() + RETRY_REDIS_AFTER

    def get_steps(self, key: str) -> Steps[CachedAnswer | None]:
        """The stored answer for `key`, from Redis or (while it is down) memory; counts hit/miss."""
        if not self.enabled:
            return None
        raw: str | bytes | None = None
        if self._use_redis():
            try:
                raw = yield Command("get", (key,))
            except RedisError as exc:
                self._failed(exc)
        if not self._use_redis():
            raw = self.memory.get(key)
        hit = None
        if raw is not None:
            try:
                hit = CachedAnswer.loads(raw)
            except (ValueError, TypeError):
                hit = None
        CACHE_REQUESTS.labels("hit" if hit else "miss").inc()
        return hit

    def set_steps(self, key: str, value: CachedAnswer) -> Steps[None]:
        """Store `value` for LLM_CACHE_TTL seconds, in Redis or (while it is down) memory."""
        if not self.enabled:
            return
        data = value.dumps()
        if self._use_redis():
            try:
                yield Command("set", (key, data), {"ex": self.ttl})
                return
            except RedisError as exc:
                self._failed(exc)
        self.memory.set(key, data)


class ResponseCache(CacheCore):
    """The worker's face: a sync Redis client per instance, made lazily."""

    def __init__(self, settings: Settings | None = None, client: redis.Redis | None = None):
        super().__init__(settings)
        self._client = client

    @property
    def client(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis.from_url(
                self.settings.cache_url, socket_connect_timeout=1.0, socket_timeout=2.0
            )
        return self._client

    def get(self, key: str) -> CachedAnswer | None:
        return run_sync(self.client, self.get_steps(key))

    def set(self, key: str, value: CachedAnswer) -> None:
        run_sync(self.client, self.set_steps(key, value))


class AsyncResponseCache(CacheCore):
    """The API's face, on the API's one async Redis client."""

    def __init__(self, client: aioredis.Redis, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self.client = client

    async def get(self, key: str) -> CachedAnswer | None:
        return await run_async(self.client, self.get_steps(key))

    async def set(self, key: str, value: CachedAnswer) -> None:
        await run_async(self.client, self.set_steps(key, value))
