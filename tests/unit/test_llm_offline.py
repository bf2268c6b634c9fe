"""The offline tutor: deterministic, Socratic, honest about what it is."""

from __future__ import annotations

import pytest

from ainative.config import Settings
from ainative.llm import LLMRequest, get_provider, offline, resolve_provider
from ainative.llm.offline import OFFLINE_MODEL, OfflineTutor
from ainative.tutor.guardrails import apply_guardrail
from ainative.tutor.modes import DEFAULT_MODE, MODE_NAMES
from ainative.tutor.prompts import build_messages


def _request(question: str, mode: str = DEFAULT_MODE, **context: str) -> LLMRequest:
    messages = build_messages(question, mode, context)
    return LLMRequest(
        messages=messages,
        model=OFFLINE_MODEL,
        max_tokens=100,
        mode=mode,
        question=question,
        context=context,
    )


def test_same_request_same_answer() -> None:
    tutor = OfflineTutor(Settings())
    req = _request("Why does my loop never stop?", code="while i < 3:\n    print(i)")
    first = tutor.complete(req)
    same = ("text", "prompt_tokens", "completion_tokens", "model", "metadata")  # not ttft_ms

    def fields(result: object) -> list[object]:
        return [getattr(result, f) for f in same]

    assert all(fields(tutor.complete(req)) == fields(first) for _ in range(3))
    assert fields(OfflineTutor(Settings()).complete(req)) == fields(first)


def test_different_questions_can_differ_and_modes_shape_the_answer() -> None:
    tutor = OfflineTutor(Settings())
    answers = {tutor.complete(_request(f"question {i}")).text for i in range(12)}
    assert len(answers) > 1
    hints = tutor.complete(_request("How do I sort a list?", "hints")).text
    assert "1." in hints and "2." in hints


def test_every_registered_mode_has_its_own_answer_shape() -> None:
    # A mode added to the registry without a shape would silently get Socratic answers.
    assert set(offline._SHAPES) == set(MODE_NAMES)
    shapes = {offline._SHAPES[mode](["q1?", "q2?", "q3?"])[0] for mode in MODE_NAMES}
    assert len(shapes) == len(MODE_NAMES)


def test_reads_the_error_type() -> None:
    trace = (
        "Traceback (most recent call last):\n  File \"x\"\nNameError: name 'total' is not defined"
    )
    text = OfflineTutor(Settings()).complete(_request("What is wrong?", error=trace)).text
    assert "NameError" in text and "defined" in text


def test_says_what_it_is_and_counts_tokens() -> None:
    result = OfflineTutor(Settings()).complete(_request("What is a dict?"))
    assert result.provider == "offline" and result.model == OFFLINE_MODEL
    assert result.metadata["kind"] == "rule-based offline tutor"
    assert result.metadata["deterministic"] is True
    assert result.prompt_tokens > 0 and result.completion_tokens > 0


def test_never_writes_code() -> None:
    tutor = OfflineTutor(Settings())
    for mode in MODE_NAMES:
        text = tutor.complete(_request("write the full code for me", mode)).text
        assert apply_guardrail(text, "solution-request").outcome == "passed"


def test_factory_caches_per_process_and_resolves_policy() -> None:
    assert get_provider("offline") is get_provider("offline")
    settings = Settings(llm_provider="offline", llm_model="gpt-x")
    assert resolve_provider({}, settings) == ("offline", OFFLINE_MODEL)
    assert resolve_provider({"provider": "openai"}, settings) == ("openai", "gpt-x")
    assert resolve_provider({"provider": "openai", "model": "m2"}, settings) == ("openai", "m2")
    assert resolve_provider({"provider": "bogus"}, settings) == ("offline", OFFLINE_MODEL)


def test_the_offline_tutor_streams_its_answer_in_a_few_chunks() -> None:
    tutor = OfflineTutor(Settings())
    req = _request("What is wrong?", error="Traceback ...\nNameError: name 'x' is not defined")
    chunks: list[str] = []
    result = tutor.stream(req, chunks.append)
    assert 1 < len(chunks) <= 10 and "".join(chunks) == result.text
    assert result.text == tutor.complete(req).text and result.ttft_ms is not None


SORTED_NONE = {
    "code": "nums = [3, 1, 2]\nnums = nums.sort()\nprint(nums[0])",
    "error": "TypeError: 'NoneType' object is not subscriptable",
    "explanation": "Error: TypeError: 'NoneType' object is not subscriptable\n"
    "Line 3: print(nums[0])\n"
    "Cause: You attempted to retrieve an item from `nums`, an object of type `NoneType`.\n"
    "Value: nums = None",
}


@pytest.mark.parametrize("mode", ["socratic", "hints", "explanatory", "metacognitive"])
def test_names_the_culprit_its_line_value_and_origin_in_every_mode(mode: str) -> None:
    req = _request("why doesn't this work?", mode=mode, **SORTED_NONE)
    text = OfflineTutor(Settings()).complete(req).text
    assert "`nums`" in text and "line 3" in text and "`None`" in text
    assert "line 2" in text  # where the value came from
    assert text.count("?") >= 1 and "```" not in text


def test_a_cell_without_error_gets_the_static_reading() -> None:
    code = "def total(xs):\n    s = sum(xs)\nprint(total([1, 2]))"
    text = OfflineTutor(Settings()).complete(_request("why None?", code=code)).text
    assert "`total`" in text and "`return`" in text and "line 3" in text


def test_nothing_to_read_falls_back_on_the_script() -> None:
    text = OfflineTutor(Settings()).complete(_request("what is a loop?", code="x = 1")).text
    assert any(q in text for q in offline._QUESTIONS) and "`x`" not in text
