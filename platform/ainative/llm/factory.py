"""Provider lookup: one instance per provider name per process, chosen by course policy."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from ainative.config import Settings, get_settings
from ainative.llm.base import LLMProvider

PROVIDERS = ("offline", "openai", "explanation")  # explanation: an arm without a model
_lock = threading.Lock()
_providers: dict[tuple[int, str], LLMProvider] = {}


def get_provider(name: str) -> LLMProvider:
    """The provider called `name` for this process, created on first use."""
    if name not in PROVIDERS:
        raise ValueError(f"unknown LLM provider {name!r}: choose one of {', '.join(PROVIDERS)}")
    key = (os.getpid(), name)
    provider = _providers.get(key)
    if provider is None:
        with _lock:
            provider = _providers.get(key)
            if provider is None:
                provider = _providers[key] = _build(name, get_settings())
    return provider


def close_providers() -> None:
    """Close this process's providers that hold connections (worker shutdown)."""
    pid = os.getpid()
    with _lock:
        mine = [key for key in _providers if key[0] == pid]
        closing = [_providers.pop(key) for key in mine]
    for provider in closing:
        close = getattr(provider, "close", None)
        if close is not None:
            close()


def _build(name: str, settings: Settings) -> LLMProvider:
    if name == "openai":
        from ainative.llm.openai_provider import OpenAIProvider

        return OpenAIProvider(settings)
    if name == "explanation":
        from ainative.llm.explanation_only import ExplanationOnly

        return ExplanationOnly(settings)
    from ainative.llm.offline import OfflineTutor

    return OfflineTutor(settings)


def resolve_provider(
    policy: Mapping[str, Any] | None, settings: Settings | None = None
) -> tuple[str, str]:
    """(provider, model) for a request: the course policy's choice, else Settings.

    The API and the worker both call this, so the cache key the API looks up is the
    one the worker stores under.
    """
    settings = settings or get_settings()
    policy = policy or {}
    name = policy.get("provider") or settings.llm_provider
    if name not in PROVIDERS:
        name = settings.llm_provider
    model = policy.get("model") or None
    if name == "offline":
        from ainative.llm.offline import OFFLINE_MODEL

        return name, str(model or OFFLINE_MODEL)
    if name == "explanation":
        from ainative.llm.explanation_only import EXPLANATION_MODEL

        return name, str(model or EXPLANATION_MODEL)
    return name, str(model or settings.llm_model)
