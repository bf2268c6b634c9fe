"""The response cache: keys cover their inputs, keys expire, memory takes over without Redis."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from ainative.config import Settings
from ainative.runtime.devservices import free_port
from ainative.tutor.cache import (
    AsyncResponseCache,
    CachedAnswer,
    MemoryLRU,
    ResponseCache,
    cache_key,
)
from ainative.tutor.prompts import PROMPT_VERSION

BASE = dict(
    prompt="Why is my loop infinite?",
    mode="socratic",
    context={"code": "while True: pass"},
    model="m",
    provider="openai",
    extra_context="week 3",
)
ANSWER = CachedAnswer(
    answer="What changes inside the loop?",
    provider="openai",
    model="m",
    prompt_version=PROMPT_VERSION,
    classification="debugging",
    guardrail="passed",
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("prompt", "Why is my loop finite?"),
        ("mode", "hints"),
        ("context", {"code": "while False: pass"}),
        ("context", {"code": "while True: pass", "error": "KeyboardInterrupt"}),
        ("model", "m2"),
        ("provider", "offline"),
        ("extra_context", "week 4"),
        ("prompt_version", "0"),
    ],
)
def test_key_changes_with_each_input(field: str, value: object) -> None:
    assert cache_key(**BASE) != cache_key(**{**BASE, field: value})


def test_key_is_stable_and_ignores_surrounding_space_and_empty_context() -> None:
    assert cache_key(**BASE) == cache_key(**BASE)
    assert cache_key(**{**BASE, "prompt": "  Why is my loop infinite?\n"}) == cache_key(**BASE)
    with_empty = {**BASE, "context": {"code": "while True: pass", "error": ""}}
    assert cache_key(**with_empty) == cache_key(**BASE)


def test_memory_lru_is_bounded_and_expires() -> None:
    lru = MemoryLRU(max_entries=2, ttl=60)
    lru.set("a", "1"), lru.set("b", "2"), lru.get("a"), lru.set("c", "3")
    assert lru.get("b") is None and lru.get("a") == "1" and lru.get("c") == "3"
    expired = MemoryLRU(max_entries=2, ttl=-1)
    expired.set("a", "1")
    assert expired.get("a") is None


def _closed_port_settings() -> Settings:
    return Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0", llm_cache_max_entries=5)


def test_sync_cache_falls_back_to_memory_and_says_so() -> None:
    cache = ResponseCache(_closed_port_settings())
    key = cache_key(**BASE)
    assert cache.get(key) is None
    cache.set(key, ANSWER)
    assert cache.get(key) == ANSWER
    status = cache.status()
    assert status["backend"] == "memory" and "Redis unreachable" in status["reason"]


async def test_async_cache_falls_back_to_memory_and_says_so() -> None:
    settings = _closed_port_settings()
    client = aioredis.Redis.from_url(settings.redis_url, socket_connect_timeout=0.5)
    cache = AsyncResponseCache(client, settings)
    key = cache_key(**BASE)
    await cache.set(key, ANSWER)
    assert await cache.get(key) == ANSWER
    assert cache.status()["backend"] == "memory"
    await client.aclose()


def test_disabled_cache_stores_nothing() -> None:
    cache = ResponseCache(Settings(redis_url="redis://127.0.0.1:1/0", llm_cache_enabled=False))
    cache.set("k", ANSWER)
    assert cache.get("k") is None
