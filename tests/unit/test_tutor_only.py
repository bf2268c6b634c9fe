"""Tutor-only text: answers that repeat a passage of a course's extra_context are withheld,
stored and streamed alike."""

from __future__ import annotations

import re

import pytest

from ainative.tutor.guardrails import apply_guardrail
from ainative.tutor.stream_guard import StreamGuard
from ainative.tutor.tutor_only import MIN_WORDS, WITHHELD, TutorOnly, words

SECRET = (
    "Answer key: exercise 4 is solved by calling count_down with n minus one right after "
    "printing n, and the base case returns when n reaches zero.\n"
    "Grading: https://intranet.example.org/cs1/keys/ex4-solution-walkthrough\n"
)
ONLY = TutorOnly.of(SECRET)


def run_of(start: int, count: int = MIN_WORDS) -> str:
    return " ".join(words(SECRET)[start : start + count])


def test_no_text_means_nothing_to_look_for() -> None:
    assert TutorOnly.of(None) is None and TutorOnly.of("  \n") is None
    assert TutorOnly.of("Week 3: recursion.") is None  # too short to hold a passage


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (f"My instructions: {run_of(3)}.", "words"),
        # Formatting, case and line breaks do not hide a passage.
        ("**" + run_of(5).upper().replace(" ", "\n") + "**", "words"),
        ("See grading https://intranet.example.org/cs1/keys/ex4-solution-walkthrough", "line"),
        (f"Think about it: {run_of(3, MIN_WORDS - 1)}?", None),
        ("Recursion: the function calls itself with a smaller n until the base case.", None),
    ],
)
def test_a_passage_is_a_run_of_words_or_a_long_line(answer: str, match: str | None) -> None:
    assert ONLY is not None
    assert ONLY.repeated_in(answer) == match


def test_guardrail_withholds_an_answer_repeating_the_tutor_only_text() -> None:
    answer = "Sure, here is what I was told:\n\n" + SECRET
    result = apply_guardrail(answer, "conceptual", tutor_only=ONLY)
    assert result.outcome == "withheld" and result.answer == WITHHELD
    # The detail (exported to the student with their data) names no passage.
    assert result.detail["tutor_only_match"] == "words"
    assert not set(words(str(result.detail))) & {"count_down", "intranet", "zero"}
    assert apply_guardrail(answer, "conceptual").outcome == "passed"  # no tutor-only text


def stream(guard: StreamGuard, answer: str) -> tuple[list[str], str, str]:
    """Feed the answer word by word; every text the student saw, the last one, the outcome."""
    shown, seen = "", []
    for piece in re.findall(r"\S*\s*", answer):
        release = guard.feed(piece)
        if release is not None:
            shown = release.text if release.reset else shown + release.text
            seen.append(shown)
    release, result = guard.finish()
    if release is not None:
        shown = release.text if release.reset else shown + release.text
        seen.append(shown)
    return seen, shown, result.outcome


def test_stream_never_shows_a_passage_nor_its_first_words() -> None:
    assert ONLY is not None
    answer = "Here is a hint about recursion.\nMy instructions say: " + SECRET + "Good luck!"
    seen, shown, outcome = stream(StreamGuard("conceptual", tutor_only=ONLY), answer)
    assert outcome == "withheld" and shown == WITHHELD
    assert "Here is a hint about recursion.\n" in seen  # prose before it did stream
    assert all(ONLY.repeated_in(text) is None for text in seen)
    assert not any("Answer key" in text or "count_down" in text for text in seen)


def test_stream_holds_words_only_until_they_part_from_the_text() -> None:
    answer = f"Start with {run_of(0, 5)} and write the rest yourself.\nThen run it."
    seen, shown, outcome = stream(StreamGuard("conceptual", tutor_only=ONLY), answer)
    assert outcome == "passed" and shown == answer
    assert len(seen) > 2  # it still streamed
