"""Properties of the tutor's pure parts: no question, context or answer makes the prompt
builder, the classifier or the guardrail raise, and their output stays within a bound."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ainative.db.models import CLASSIFICATIONS, GUARDRAIL_OUTCOMES
from ainative.tutor.classify import classify
from ainative.tutor.guardrails import REFUSAL, REWRITE_NOTE, apply_guardrail, inspect_code
from ainative.tutor.modes import MODE_NAMES, get_mode
from ainative.tutor.prompts import CONTEXT_LIMIT, SYSTEM_PREAMBLE, build_messages

# Lines that look like Markdown, code, tracebacks and solution requests, mixed with noise.
LINES = st.sampled_from(
    [
        "```",
        "```python",
        "~~~",
        "    x = 1",
        "\tfor i in range(3):",
        "def solve(xs):",
        "    return sorted(xs)",
        "print(x)",
        '  File "main.py", line 3',
        "Traceback (most recent call last):",
        "> x = 1",
        "1. y = 2",
        "give me the complete solution",
        "write a function that sums a list",
        "don't give me the answer",
        "why do I get a TypeError?",
        "",
        "#include <stdio.h>",
        "}",
    ]
)
DOC = st.lists(st.one_of(LINES, st.text(max_size=30)), max_size=25).map("\n".join)
CONTEXT = st.fixed_dictionaries(
    {},
    optional={
        "code": st.one_of(DOC, st.text(max_size=50)),
        "error": st.one_of(DOC, st.text(max_size=50)),
        "notebook": st.text(max_size=50),
    },
)
MODE_TEXT = max(len(get_mode(m).title) + len(get_mode(m).instructions) for m in MODE_NAMES)
FRAMING = 200  # headings and fences the builder adds around context parts


@given(
    question=st.one_of(DOC, st.text()),
    mode=st.sampled_from(MODE_NAMES),
    context=st.none() | CONTEXT,
    extra=st.none() | st.text(max_size=3_000),
)
@settings(max_examples=80, deadline=None)
def test_prompt_builder_always_gives_two_bounded_messages(question, mode, context, extra):
    messages = build_messages(question, mode, context, extra)
    assert [m["role"] for m in messages] == ["system", "user"]
    system, user = (m["content"] for m in messages)
    assert len(system) <= len(SYSTEM_PREAMBLE) + MODE_TEXT + 2_000 + FRAMING
    assert len(user) <= len(question) + 2 * CONTEXT_LIMIT + 500 + FRAMING
    assert question.strip() in user


@given(question=st.one_of(DOC, st.text()), context=st.none() | CONTEXT)
@settings(max_examples=80, deadline=None)
def test_classifier_always_answers_a_known_category(question, context):
    assert classify(question, context) in CLASSIFICATIONS


@given(answer=st.one_of(DOC, st.text()), classification=st.sampled_from(CLASSIFICATIONS))
@settings(max_examples=100, deadline=None)
def test_guardrail_never_raises_and_never_lengthens_beyond_its_notes(answer, classification):
    result = apply_guardrail(answer, classification)
    assert result.outcome in GUARDRAIL_OUTCOMES
    if result.outcome == "passed":
        assert result.answer == answer
    elif result.outcome == "refused":
        assert result.answer == REFUSAL
    else:  # each replaced block (one line at least) becomes one note and a blank line
        notes = result.answer.count(REWRITE_NOTE)
        assert 1 <= notes <= len(answer.splitlines())
        assert len(result.answer) <= len(answer) + notes * (len(REWRITE_NOTE) + 2)
        assert inspect_code(answer)["code_lines"] > 0
