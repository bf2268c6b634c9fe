"""The guardrail and the stream guard with an assignment's reference solution: a leaked
solution never shows, even for a moment of the stream; a hint goes through unchanged."""

from __future__ import annotations

from ainative.tutor.guardrails import REFUSAL, apply_guardrail
from ainative.tutor.leakage import Reference
from ainative.tutor.stream_guard import StreamGuard

REFERENCE = Reference.of(
    "def sum_even(numbers):\n    total = 0\n    for n in numbers:\n"
    "        if n % 2 == 0:\n            total += n\n    return total\n",
    "assert sum_even([1, 2, 3, 4]) == 6\nassert sum_even([]) == 0\n",
)
# Three lines: the old rules let a snippet this short through; the reference check does not.
RENAMED = (
    "Here you go:\n\n```python\ndef sum_even(xs):\n"
    "    return sum(x for x in xs if not x % 2)\n```\n\nRun it on your examples."
)
HINT = "Which numbers should count? How can you tell with `%` that a number is even?"
PSEUDO = (
    "1. Start with a total of 0.\n2. Go through each number in the list.\n"
    "3. If the number is even, add it to the total.\n4. After the loop, return the total.\n"
)


def _stream(text: str) -> tuple[list[str], str, dict[str, object]]:
    guard = StreamGuard("implementation", reference=REFERENCE)
    shown: list[str] = []
    for i in range(0, len(text), 7):
        release = guard.feed(text[i : i + 7])
        if release is not None:
            shown.append(guard.shown)
    release, result = guard.finish()
    shown.append(guard.shown)  # after the last release: what the student ends up seeing
    return shown, result.answer, result.detail


def test_a_renamed_solution_is_rewritten_and_never_streamed() -> None:
    shown, answer, detail = _stream(RENAMED)
    assert all("return sum(" not in s for s in shown)
    assert "return sum(" not in answer and "Run it on your examples." in answer
    leak = detail["leak"]
    assert isinstance(leak, dict) and leak["leak"] is True and leak["decision"] == "rewritten"
    assert "sum_even" not in str(leak)  # the parts never quote the reference


def test_a_hint_passes_unchanged_with_its_score_recorded() -> None:
    shown, answer, detail = _stream(HINT)
    assert answer == HINT and shown[-1] == HINT
    leak = detail["leak"]
    assert isinstance(leak, dict) and leak["leak"] is False and leak["decision"] == "passed"


def test_a_walk_through_of_the_solution_is_refused() -> None:
    result = apply_guardrail(PSEUDO, "implementation", reference=REFERENCE)
    assert (result.outcome, result.answer) == ("refused", REFUSAL)


def test_a_tighter_threshold_catches_more() -> None:
    partial = "Start like this:\n\n```python\ntotal = 0\nfor n in numbers:\n    ...\n```"
    loose = apply_guardrail(partial, "implementation", reference=REFERENCE, leak_threshold=0.9)
    tight = apply_guardrail(partial, "implementation", reference=REFERENCE, leak_threshold=0.1)
    assert loose.outcome == "passed" and tight.outcome == "rewritten"
