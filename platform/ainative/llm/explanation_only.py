"""The "explanation only" arm: the kernel's explanation and the static reading, no model.

An experiment condition for comparing LLM tutoring with enhanced error messages on the
same course (Becker et al. 2016; Denny et al. 2014): the student's question is answered
with what Python and a reading of the cell say (ainative.tutor.facts, worded by
ainative.tutor.grounded), no question asked back. Traced like every answer: provider
`explanation`, model EXPLANATION_MODEL, zero tokens, metadata saying no model ran.
"""

from __future__ import annotations

import time

from ainative.config import Settings
from ainative.llm.base import LLMRequest, LLMResult, OnDelta, ignore_delta
from ainative.tutor import grounded
from ainative.tutor.facts import gather

EXPLANATION_PROVIDER = "explanation"
EXPLANATION_MODEL = "explanation-only-1"
NOTHING = (
    "Python found no error in your last cell, and reading it shows nothing unusual. "
    "Run the cell you have a question about, then ask again."
)
METADATA = {
    "kind": "explanation only (enhanced error message)",
    "deterministic": True,
    "note": "no language model was called; the answer is the kernel's explanation "
    "and the static reading of the cell",
}


class ExplanationOnly:
    """A provider that answers with the facts of the question's context."""

    name = EXPLANATION_PROVIDER

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def default_model(self) -> str:
        return EXPLANATION_MODEL

    def answer_text(self, request: LLMRequest) -> str:
        code = str(request.context.get("code") or "")
        facts = gather(request.context)
        said = grounded.statements(facts, code) if not facts.empty else []
        if facts.hint and not facts.empty:
            hint = grounded.keep_cell_code(facts.hint, code)
            said += [f"Python's hint: {hint}"] if hint else []
        return "\n\n".join(said) or NOTHING

    def complete(self, request: LLMRequest) -> LLMResult:
        return self.stream(request, ignore_delta)

    def stream(self, request: LLMRequest, on_delta: OnDelta) -> LLMResult:
        started = time.perf_counter()
        text = self.answer_text(request)
        on_delta(text)
        return LLMResult(
            text=text,
            prompt_tokens=0,
            completion_tokens=0,
            provider=self.name,
            model=request.model or EXPLANATION_MODEL,
            metadata=dict(METADATA),
            ttft_ms=int((time.perf_counter() - started) * 1000),
        )
