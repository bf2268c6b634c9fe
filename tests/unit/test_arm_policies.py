"""What an experiment arm can change in the tutor: the guardrail's strictness and the
prompt's wording, each part of the stored prompt version and of the cache key."""

from __future__ import annotations

from ainative.config import Settings
from ainative.tutor.cache import question_key
from ainative.tutor.guardrails import apply_guardrail
from ainative.tutor.prompts import PROMPT_VERSION, build_messages, prompt_version
from ainative.tutor.stream_guard import StreamGuard

SNIPPET = "Try this:\n\n```python\nfor x in xs:\n    print(x)\n```\n\nWhat does it print?"


def test_strict_lets_no_code_through_while_standard_allows_a_snippet() -> None:
    assert apply_guardrail(SNIPPET, "implementation").outcome == "passed"
    strict = apply_guardrail(SNIPPET, "implementation", strict=True)
    assert strict.outcome == "rewritten"
    assert "print(x)" not in strict.answer and "What does it print?" in strict.answer


def test_the_stream_guard_applies_strictness_too() -> None:
    guard = StreamGuard("implementation", strict=True)
    shown = ""
    for ch in SNIPPET:
        release = guard.feed(ch)
        if release is not None:
            shown = release.text if release.reset else shown + release.text
        assert "print(x)" not in shown
    release, checked = guard.finish()
    if release is not None:
        shown = release.text if release.reset else shown + release.text
    assert checked.outcome == "rewritten" and shown == checked.answer


def test_a_prompt_variant_changes_the_system_message_and_the_version() -> None:
    plain = build_messages("What is a list?", "socratic")[0]["content"]
    brief = build_messages("What is a list?", "socratic", variant="brief")[0]["content"]
    assert "three sentences" in brief and "three sentences" not in plain
    assert prompt_version() == prompt_version("default") == PROMPT_VERSION
    assert prompt_version("brief", strict=True) == f"{PROMPT_VERSION}+brief+strict"


def test_arms_never_share_cached_answers() -> None:
    settings = Settings()
    keys = {
        question_key(prompt="q", mode="socratic", context=None, policy=p, settings=settings)
        for p in ({}, {"prompt_variant": "brief"}, {"guardrail": "strict"})
    }
    assert len(keys) == 3
