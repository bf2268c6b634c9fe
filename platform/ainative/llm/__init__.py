"""LLM providers: the OpenAI SDK (any compatible server) and an offline rule-based tutor."""

from ainative.llm.base import LLMError, LLMRequest, LLMResult, OnDelta
from ainative.llm.factory import get_provider, resolve_provider

__all__ = ["LLMError", "LLMRequest", "LLMResult", "OnDelta", "get_provider", "resolve_provider"]
