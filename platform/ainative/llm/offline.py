"""The offline tutor: deterministic, rule-based Socratic answers without any network.

For demos, development and tests. The same request always gets the same answer. It
reads the student's code: the kernel's explanation, the error and the static reading
(ainative.tutor.facts) name the culprit, its line, its value and where the value came
from, and the answer asks one question about it in the mode's shape
(ainative.tutor.grounded); it never writes a line of code the cell does not hold. Only
when there is nothing to read does it fall back on its fixed script of questions.
In a conversation (earlier turns in the request's messages) it quotes the student's
previous turn and moves to the next step of its Socratic script, so a dialogue can be
shown without a network. Every result's metadata says that no language model produced it.
It streams like a model does: the answer arrives in a few chunks (its lines), the delay
spread over them.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable

from ainative.config import Settings
from ainative.llm.base import LLMRequest, LLMResult, OnDelta, ignore_delta
from ainative.tutor import grounded
from ainative.tutor.facts import gather

OFFLINE_MODEL = "offline-socratic-2"  # 2: grounded in the code it reads
METADATA = {
    "kind": "rule-based offline tutor",
    "deterministic": True,
    "note": "no language model was called; answers come from fixed rules and templates",
}

_ERROR_LINE = re.compile(r"^\s*(\w+(?:Error|Exception|Warning|Interrupt))\b:?\s*(.*)$")
_ERROR_HINTS = {
    "NameError": "Where in your notebook is that name defined, and has that cell run yet?",
    "TypeError": "What type does each value in that line have? Try printing `type(...)` of each.",
    "IndexError": "How long is the sequence at that moment, and which index do you ask for?",
    "KeyError": "Which keys does the dictionary actually contain when this line runs?",
    "AttributeError": "What kind of object is on the left of the dot, and what can it do?",
    "ValueError": "Which value did the function receive, and which values does it accept?",
    "SyntaxError": "Look at the line the caret points to and the one before it: "
    "is a bracket, colon or quote missing?",
    "IndentationError": "Which block should this line belong to, and does its indentation say so?",
    "ZeroDivisionError": "Which variable can be zero here, and what should happen then?",
    "ModuleNotFoundError": "Is the package installed in this kernel's environment?",
}
_QUESTIONS = (
    "What do you expect this part of your code to do, step by step?",
    "What happens if you try it on the smallest possible input?",
    "Which line is the first one whose result surprises you?",
    "How could you check your assumption with a single `print` or a tiny test?",
    "Can you describe the goal in one sentence without mentioning code?",
    "What have you tried so far, and what did you observe?",
)


# The Socratic script a conversation walks through: follow-up n gets step n (the last
# step repeats once the script is done). The first turn asks the opening questions above.
SCRIPT = (
    ("Reproduce", "try the smallest input that still shows the problem. What happens now?"),
    ("Locate", "which is the first line whose result differs from what you expected?"),
    ("Hypothesise", "what do you think causes it, and which one-line check would confirm it?"),
    ("Fix and test", "change one thing only, then run it on your small input and one more."),
    ("Reflect", "what did you learn here, and how would you spot this sooner next time?"),
)
_QUOTE_LIMIT = 120


def conversation(messages: list[dict[str, str]]) -> tuple[str | None, int]:
    """The student's previous turn and the number of earlier tutor answers in `messages`.

    The history is what lies between the system message and the new question
    (ainative.tutor.prompts.build_messages).
    """
    earlier = messages[1:-1] if messages and messages[0].get("role") == "system" else messages[:-1]
    previous = next((m["content"] for m in reversed(earlier) if m.get("role") == "user"), None)
    answers = sum(1 for m in earlier if m.get("role") == "assistant")
    return previous, answers


def _quote(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _QUOTE_LIMIT else line[: _QUOTE_LIMIT - 1] + "…"


def _follow_up(previous: str | None, answers: int) -> list[str]:
    step = min(answers, len(SCRIPT)) - 1
    title, ask = SCRIPT[step]
    lines = [f"You said before: “{_quote(previous)}”. Let's build on that."] if previous else []
    lines.append(f"**Step {step + 2} of {len(SCRIPT) + 1} — {title}:** {ask}")
    return lines


def _tokens(text: str) -> int:
    return max(1, len(re.findall(r"\w+|[^\w\s]", text)) * 3 // 4)


def _error_of(error: str) -> tuple[str, str] | None:
    for line in reversed(error.strip().splitlines()):
        match = _ERROR_LINE.match(line)
        if match:
            return match.group(1), match.group(2).strip()
    return None


def _socratic(questions: list[str]) -> list[str]:
    return [f"- {q}" for q in questions[:2]]


def _hints(questions: list[str]) -> list[str]:
    return ["Some hints, from general to specific:"] + [
        f"{i}. {q}" for i, q in enumerate(questions, 1)
    ]


def _explanatory(questions: list[str]) -> list[str]:
    return [
        "Let's separate the idea from your exercise: break the task into the input, "
        "the transformation and the output, and check each part on its own.",
        f"Now apply it: {questions[0]}",
    ]


def _metacognitive(questions: list[str]) -> list[str]:
    return [
        "Let's look at how you are approaching this.",
        f"- {questions[0]}\n- What would tell you that you are done?",
    ]


# How each tutor mode (ainative.tutor.modes) shapes the answer; a unit test checks that
# every registered mode has a shape. An unknown mode gets Socratic questions.
_SHAPES: dict[str, Callable[[list[str]], list[str]]] = {
    "socratic": _socratic,
    "explanatory": _explanatory,
    "hints": _hints,
    "metacognitive": _metacognitive,
}


class OfflineTutor:
    """A provider that needs no network and no key."""

    name = "offline"

    def __init__(self, settings: Settings) -> None:
        self.delay = settings.offline_delay_seconds

    def default_model(self) -> str:
        return OFFLINE_MODEL

    def _pick(self, seed: str, count: int) -> list[str]:
        digest = hashlib.sha256(seed.encode()).digest()
        start = digest[0] % len(_QUESTIONS)
        return [_QUESTIONS[(start + i) % len(_QUESTIONS)] for i in range(count)]

    def answer_text(self, request: LLMRequest) -> str:
        """The answer for a request: a pure function of question, mode, context and history."""
        question = request.question.strip()
        error = str(request.context.get("error") or "")
        code = str(request.context.get("code") or "")
        seed = f"{request.mode}\n{question}\n{code}\n{error}"
        facts = gather(request.context)
        previous, answers = conversation(request.messages)
        if not facts.empty:
            if answers:
                focus = grounded.statements(facts, code)[:1]
                return "\n\n".join(_follow_up(previous, answers) + focus)
            return grounded.answer(facts, request.mode, code) or ""
        found = _error_of(error) if error else None
        lines: list[str] = []
        if found:
            kind, message = found
            lines.append(
                f"Your code stops with a **{kind}**" + (f": `{message}`." if message else ".")
            )
            lines.append(_ERROR_HINTS.get(kind, "What does the last line of the traceback say?"))
        if answers:
            return "\n\n".join(_follow_up(previous, answers) + lines)
        shape = _SHAPES.get(request.mode, _socratic)
        lines += shape(self._pick(seed, 3))
        return "\n\n".join(lines)

    def complete(self, request: LLMRequest) -> LLMResult:
        return self.stream(request, ignore_delta)

    def stream(self, request: LLMRequest, on_delta: OnDelta) -> LLMResult:
        """The deterministic answer, handed over line by line."""
        started = time.perf_counter()
        text = self.answer_text(request)
        chunks = text.splitlines(keepends=True) or [text]
        ttft_ms = None
        for chunk in chunks:
            if self.delay:
                time.sleep(self.delay / len(chunks))
            if ttft_ms is None:
                ttft_ms = int((time.perf_counter() - started) * 1000)
            on_delta(chunk)
        prompt_text = "\n".join(m.get("content", "") for m in request.messages)
        return LLMResult(
            text=text,
            prompt_tokens=_tokens(prompt_text),
            completion_tokens=_tokens(text),
            provider=self.name,
            model=request.model or OFFLINE_MODEL,
            metadata=dict(METADATA),
            ttft_ms=ttft_ms,
        )
