"""The load harness runs end to end at a tiny scale and reports every figure.

It asserts that the report is complete and that every question was answered without
an error, never how fast: speed is for `make bench-lab` to show, not for a test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ainative.config import Settings
from tests.bench.lab.report import COMMON_KEYS
from tests.bench.lab.scenarios import SCENARIOS

REPO_ROOT = Path(__file__).resolve().parents[2]
PROCESSES = {"api", "worker", "beat", "redis", "fake_llm", "harness"}

Run = dict[str, Any]


def _clean_env() -> dict[str, str]:
    """No platform setting leaks in from the test session; its Redis least of all.

    The harness gets a Redis of its own (it purges its queue between scenarios), and
    a database of its own on DATABASE_URL's server when one is set.
    """
    settings = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k not in settings}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    return env


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("bench-lab")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.lab",
            "--scale",
            "0.01",
            "--latency",
            "0.2",
            "--question-timeout",
            "30",
            "--scenario-timeout",
            "30",
            "--json",
            str(out / "lab.json"),
            "--logs",
            str(out / "logs"),
        ],
        cwd=REPO_ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Latency (submit in ms" in proc.stdout
    result: Run = json.loads((out / "lab.json").read_text())
    return result


def test_every_scenario_reports_every_field(run: Run) -> None:
    assert list(run["scenarios"]) == list(SCENARIOS)
    for name, result in run["scenarios"].items():
        missing = [k for k in COMMON_KEYS if k not in result]
        assert not missing, f"{name} lacks {missing}"
        assert PROCESSES <= set(result["cpu_s"]), name
        assert PROCESSES <= set(result["peak_rss_mb"]), name
        assert result["db_connections"]["max_total"] > 0, name
    assert run["warmup"]["errors"] == {}
    for name in list(SCENARIOS)[:-1]:  # the API served again between scenarios
        assert run["scenarios"][name]["aftermath"]["restarted"] is False, name


@pytest.mark.parametrize(
    "name", ["lab", "lab-console", "burst", "saturation", "cache", "stream", "stream-burst"]
)
def test_every_question_is_answered_without_errors(run: Run, name: str) -> None:
    result = run["scenarios"][name]
    assert result["errors"] == {}
    assert result["asked"] > 0
    assert result["answered"] == result["asked"] == result["questions"]
    assert set(result["cpu_s_per_answer"]) == set(result["cpu_s"])
    assert result["timed_out"] is False


def test_latency_figures_and_floor_are_present(run: Run) -> None:
    for name in ("lab", "burst"):
        result = run["scenarios"][name]
        for key in ("submit_ms", "e2e_ms", "overhead_ms", "overhead_minus_floor_ms"):
            assert set(result[key]) == {"p50", "p95", "p99"}, (name, key)
            assert None not in result[key].values(), (name, key)
        assert result["floor"]["calls"] == result["students"]  # one call each, at once
        assert result["floor"]["errors"] == {}
    assert run["scenarios"]["burst"]["last_answer_s"] is not None


def test_the_live_view_sees_every_question_while_staff_watch(run: Run) -> None:
    console = run["scenarios"]["lab-console"]
    assert console["live_errors"] == {}
    assert console["live_polls"] > 0
    assert console["questions_seen"] == console["questions_sent"] == console["questions"]
    assert None not in console["view_behind_ms"].values()


def test_saturation_steps_and_cache_phases(run: Run) -> None:
    steps = run["scenarios"]["saturation"]["steps"]
    assert steps and all(s["answered_per_s"] > 0 and s["errors"] == {} for s in steps)
    assert [s["concurrency"] for s in steps] == sorted(s["concurrency"] for s in steps)
    cache = run["scenarios"]["cache"]
    assert cache["cache_hits"] == cache["asked"] and cache["cache_hit_ms"]["p50"] is not None
    assert sorted(cache["phases"]) == ["1", "2"]
    assert all(p["requests_per_s"] > 0 for p in cache["phases"].values())


def test_stream_reports_time_to_first_token(run: Run) -> None:
    steady, burst = run["scenarios"]["stream"], run["scenarios"]["stream-burst"]
    assert steady["first_tokens"] == steady["questions_counted"] > 0
    assert steady["open_streams"]["max"] >= 1  # it counted the streams open as each asked
    assert burst["first_tokens"] == burst["students"]
    for stream in (steady, burst):
        for key in ("ttft_ms", "fake_ttft_ms", "ttft_overhead_ms"):
            assert None not in stream[key].values(), key


def test_idle_students_hold_their_long_polls_without_errors(run: Run) -> None:
    idle = run["scenarios"]["idle"]
    assert idle["errors"] == {}
    assert idle["held"] == idle["asked"] == idle["students"]
    assert idle["answered"] == 0


def test_the_floors_time_each_part_of_a_question_alone(run: Run) -> None:
    floors = run["floors"]
    assert set(floors["parts"]) == {"http", "celery", "db", "db-hit"}
    for name, part in floors["parts"].items():
        assert part["units"] > 0 and part["per_s"] > 0, name
        assert part["counted_ms"] > 0, name
    celery = floors["parts"]["celery"]
    assert celery["units"] == celery["sent"]  # every task sent was run
    question = sum(floors["parts"][p]["counted_ms"] for p in ("http", "celery", "db"))
    assert floors["cpu_ms_per_question"] == pytest.approx(question, abs=0.01)
    assert set(floors["statements"]) == {
        "lookup", "insert", "read", "start_attempt", "complete", "read again"
    }  # fmt: skip
    assert all(s["client_us"] > 0 for s in floors["statements"].values())
    assert all(s["planning_us"] > 0 for s in floors["statements"].values())
    assert floors["hit_sql_ms_one_client"] > 0
