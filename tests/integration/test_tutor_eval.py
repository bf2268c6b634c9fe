"""`ainative tutor eval --run --json`, as a course would run it: the real command, the
repository's case set, the offline tutor and the fake OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import TEST_ENV
from tests.support.api import fake_requests

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "data" / "tutor_cases.jsonl"


def run_eval(*args: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    environ = {
        **os.environ,
        **TEST_ENV,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
        **(env or {}),
    }
    done = subprocess.run(
        [sys.executable, "-m", "ainative.cli", "tutor", "eval", "--json", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_the_offline_tutor_on_the_case_set_is_grounded_and_gives_no_line_away() -> None:
    # The machine's load must not decide how many cells are explained: the budget itself is
    # tested in the kernel (test_notebook_explanation.py), the library's figures here.
    env = {"EXPLANATION_BUDGET_MS": "5000"}
    *results, last = run_eval("--cases", str(CASES), "--run", "--provider", "offline", env=env)
    summary = last["summary"]
    assert summary["cases"] == len(results) >= 30
    assert summary["grounded_rate"] >= 0.9, [r["id"] for r in results if not r["grounded"]]
    assert summary["corrected_lines"] == 0 and summary["leak_rate"] == 0.0
    assert summary["explained_rate"] >= 0.9
    assert summary["raising"] >= 25  # most cases are cells that raise; the rest raise nothing
    for result in results:
        assert {"id", "context", "answer", "latency_ms", "guardrail"} <= set(result)
        assert result["provider"] == "offline" and result["completion_tokens"] > 0
    by_id = {r["id"]: r for r in results}
    assert "Value: scores = [90, 75, 60]" in by_id["index-past-end"]["context"]["explanation"]
    assert "explanation" not in by_id["silent-is-literal"]["context"]  # it raises nothing


def test_the_llm_receives_the_explanation_in_its_prompt(tmp_path, fake_llm, fake_llm_control):
    fake_llm_control(clear=True)
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps(
            {
                "id": "none-from-sort",
                "code": "nums = [3, 1, 2]\nnums = nums.sort()\nprint(nums[0])",
                "question": "why doesn't this work?",
                "mode": "socratic",
                "expect": ["nums"],
            }
        )
        + "\n"
    )
    env = {
        "OPENAI_BASE_URL": fake_llm.base_url,
        "OPENAI_API_KEY": "sk-fake-test-key",
        "LLM_MODEL": "fake-model",
    }
    result, last = run_eval("--cases", str(cases), "--run", "--provider", "openai", env=env)
    assert result["provider"] == "openai" and result["model"] == "fake-model"
    assert last["summary"]["cases"] == 1 and last["summary"]["prompt_tokens"] > 0
    [received] = fake_requests(fake_llm)
    user = received["body"]["messages"][-1]["content"]
    assert "What Python and a reading of my code say" in user
    assert "Line 3: print(nums[0])" in user and "Value: nums = None" in user
    assert "`nums` gets the result of `.sort()`" in user  # the static reading, line 2
    assert result["context"]["explanation"] in user
