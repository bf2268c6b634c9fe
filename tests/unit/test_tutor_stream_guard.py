"""StreamGuard: prose streams early, code is shown only after the guardrail checked it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ainative.tutor.guardrails import REFUSAL, REWRITE_NOTE, apply_guardrail
from ainative.tutor.stream_guard import StreamGuard, prose_prefix, settled_lines

DATA = Path(__file__).resolve().parents[1] / "data" / "guardrail_answers.jsonl"
ANSWERS = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]

LONG_BLOCK = (
    "Look at the loop first. Here is one way to write it:\n\n"
    "```python\n"
    "def total(xs):\n"
    "    s = 0\n"
    "    for x in xs:\n"
    "        s += x\n"
    "    return s\n"
    "```\n\n"
    "Run it and compare with your version."
)
SMALL_BLOCKS = (
    "Start here:\n\n```python\nunique = []\nseen = set()\n```\n\n"
    "Then the loop:\n\n```python\nfor x in items:\n    if x not in seen:\n```\n\n"
    "And the body:\n\n```python\n        unique.append(x)\n        seen.add(x)\n```\n\n"
    "Finally:\n\n```python\nprint(unique)\n```\n"
)


def stream(text: str, classification: str, chunks: list[str]) -> tuple[list[str], StreamGuard]:
    """Feed `chunks`; returns every state the student saw, in order, and the guard."""
    assert "".join(chunks) == text
    guard, seen = StreamGuard(classification), [""]
    for chunk in chunks:
        if guard.feed(chunk) is not None:
            seen.append(guard.shown)
    final, _ = guard.finish()
    if final is not None:
        seen.append(guard.shown)
    return seen, guard


def chars(text: str) -> list[str]:
    return list(text)


def random_chunks(text: str, seed: int) -> list[str]:
    rng, out, i = random.Random(seed), [], 0
    while i < len(text):
        step = rng.randint(1, 7)
        out.append(text[i : i + step])
        i += step
    return out


def replay(chunks: list[str], guard_class: str, text: str) -> str:
    """What a reader rebuilds from the releases (deltas appended, resets replacing)."""
    guard, shown = StreamGuard(guard_class), ""
    for chunk in chunks:
        release = guard.feed(chunk)
        if release is not None:
            shown = release.text if release.reset else shown + release.text
    release, _ = guard.finish()
    if release is not None:
        shown = release.text if release.reset else shown + release.text
    return shown


def test_long_block_in_tiny_chunks_never_shown() -> None:
    seen, guard = stream(LONG_BLOCK, "debugging", chars(LONG_BLOCK))
    assert all("s += x" not in state for state in seen)
    assert all("for x in xs" not in state for state in seen)
    assert guard.shown == apply_guardrail(LONG_BLOCK, "debugging").answer
    assert REWRITE_NOTE in guard.shown


def test_prose_streams_before_the_answer_completes() -> None:
    guard, first_shown_at = StreamGuard("debugging"), None
    for i, chunk in enumerate(chars(LONG_BLOCK)):
        guard.feed(chunk)
        if guard.shown and first_shown_at is None:
            first_shown_at = i
    assert first_shown_at is not None
    # Shown while still inside the first line: prose is released mid-line.
    assert first_shown_at < LONG_BLOCK.index("\n")


def test_small_blocks_that_add_up_never_all_get_out() -> None:
    seen, guard = stream(SMALL_BLOCKS, "debugging", chars(SMALL_BLOCKS))
    pieces = ("seen = set()", "if x not in seen", "unique.append(x)", "print(unique)")
    ever = {piece for state in seen for piece in pieces if piece in state}
    assert ever != set(pieces)
    assert guard.shown == apply_guardrail(SMALL_BLOCKS, "debugging").answer
    assert "unique.append(x)" not in guard.shown


def test_solution_request_never_shows_code() -> None:
    seen, guard = stream(LONG_BLOCK, "solution-request", chars(LONG_BLOCK))
    assert all("def total" not in state for state in seen)
    assert guard.shown == REFUSAL


@pytest.mark.parametrize("item", ANSWERS, ids=[a["id"] for a in ANSWERS])
@pytest.mark.parametrize("classification", ["debugging", "solution-request"])
def test_every_state_shown_is_one_the_guardrail_lets_through(
    item: dict[str, object], classification: str
) -> None:
    text = str(item["answer"])
    for chunks in (chars(text), random_chunks(text, 1), text.split(" ")):
        if chunks is not None and "".join(chunks) != text:
            chunks = [w + " " for w in chunks[:-1]] + chunks[-1:]
        seen, guard = stream(text, classification, chunks)
        final = apply_guardrail(text, classification)
        assert guard.shown == final.answer
        assert replay(chunks, classification, text) == final.answer
        for state in seen:
            assert apply_guardrail(state, classification).outcome == "passed", state


def test_plain_prose_streams_unchanged_without_resets() -> None:
    text = "Good question. What do you expect `len(xs)` to return here?\n\nTry it on [1, 2]."
    guard, resets = StreamGuard("concept"), 0
    for chunk in chars(text):
        release = guard.feed(chunk)
        resets += bool(release and release.reset)
    release, result = guard.finish()
    assert result.outcome == "passed" and guard.shown == text and resets == 0


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Good question, what", len("Good question, ")),
        ("Your code stops with x = 1", len("Your code stops with x ")),
        ("x = 1", len("x ")),
        ("print(x)", 0),
        ("def f", 0),
        ("if you run", 0),
        ("print hello", len("print ")),
        ("print hello world", len("print hello ")),
        ("total if", len("total ")),
        ("```python", 0),
        ("    indented text", 0),
        ("- Try the smallest input", len("- Try the smallest ")),
    ],
)
def test_prose_prefix(line: str, expected: int) -> None:
    assert prose_prefix(line) == expected


def test_settled_lines_hold_open_constructs() -> None:
    assert settled_lines(["Intro", "```python", "x = 1"]) == 1
    assert settled_lines(["Intro", "```python", "x = 1", "```"]) == 4
    assert settled_lines(["Intro", "x = 1", ""]) == 1
    assert settled_lines(["Intro", "x = 1", "Done."]) == 3
    assert settled_lines(["Intro", "", "    x = 1"]) == 2
