"""The offline tutor never writes a line of code that is not in the student's cell.

A property over the repository's case set: the contexts a kernel sends for each case (the
cells are run once, by `ainative tutor eval --run --json` in a subprocess), any mode, any
question, any items unticked, first turn or follow-up. The answer holds no code block and
no piece of code the cell does not hold, and the same request gets the same answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ainative.config import Settings
from ainative.llm.base import LLMRequest
from ainative.llm.offline import OfflineTutor
from ainative.tutor.evaluation import foreign_code, load_cases
from ainative.tutor.modes import MODE_NAMES

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "data" / "tutor_cases.jsonl"
ITEMS = ("code", "error", "explanation")


@pytest.fixture(scope="module")
def contexts() -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "LLM_PROVIDER": "offline",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "ainative.cli", "tutor", "eval", "--cases", str(CASES)]
        + ["--run", "--json", "--provider", "offline"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    found = [row["context"] for row in rows if "context" in row]
    assert len(found) == len(load_cases(CASES)) and any("explanation" in c for c in found)
    return found


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    index=st.integers(min_value=0),
    mode=st.sampled_from(sorted(MODE_NAMES)),
    question=st.text(max_size=80),
    dropped=st.sets(st.sampled_from(ITEMS)),
    earlier=st.integers(min_value=0, max_value=3),
)
def test_no_code_line_that_is_not_in_the_cell(
    contexts: list[dict[str, Any]],
    index: int,
    mode: str,
    question: str,
    dropped: set[str],
    earlier: int,
) -> None:
    full = contexts[index % len(contexts)]
    context = {k: v for k, v in full.items() if k not in dropped}
    messages = [{"role": "system", "content": "s"}]
    for i in range(earlier):
        messages += [
            {"role": "user", "content": f"earlier {i}"},
            {"role": "assistant", "content": "answer"},
        ]
    messages.append({"role": "user", "content": question})
    request = LLMRequest(
        messages=messages, model="m", max_tokens=100, mode=mode, question=question, context=context
    )
    tutor = OfflineTutor(Settings())
    answer = tutor.answer_text(request)
    assert answer.strip()
    assert "```" not in answer and "~~~" not in answer
    assert foreign_code(answer, full["code"]) == []
    assert tutor.answer_text(request) == answer
