"""The sandbox that runs an answer against hidden tests: each isolation it promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ainative.tutor.leakage import Reference, score_answer
from ainative.tutor.leakage.sandbox import network_namespace, run_tests

TESTS = "assert double(2) == 4\ndef test_three():\n    assert double(3) == 6\n"


def test_code_that_passes_the_hidden_tests_passes() -> None:
    run = run_tests("def double(x):\n    return x * 2\n", TESTS)
    assert (run.passed, run.checks, run.failed) == (True, 2, 0)


def test_code_that_fails_them_fails() -> None:
    assert not run_tests("def double(x):\n    return x\n", TESTS).passed


@pytest.mark.parametrize(
    ("code", "refused"),
    [
        ("import socket\nsocket.socket()", "socket"),
        ("import os\nos.system('true')", "os.system"),
        ("import subprocess\nsubprocess.run(['true'])", "subprocess"),
        ("import os\nos.fork()", "os.fork"),
        ("import ctypes", "ctypes"),
        ("open('/tmp/ainative-sandbox-escape', 'w')", "writing outside"),
        ("x = bytearray(10**9)", "MemoryError"),
    ],
)
def test_what_the_sandbox_refuses(code: str, refused: str) -> None:
    run = run_tests(code + "\ndef double(x):\n    return 2 * x\n", TESTS)
    assert not run.passed
    assert run.error is not None and refused in run.error


def test_an_endless_loop_is_stopped() -> None:
    run = run_tests("while True:\n    pass\n", TESTS)
    assert not run.passed and run.error is not None


def test_the_environment_is_empty_and_the_directory_throwaway() -> None:
    code = "import os\nENV = dict(os.environ)\nCWD = os.getcwd()\n"
    # Python itself sets LC_CTYPE when the locale is C (PEP 538): nothing else is there
    checks = "assert set(ENV) <= {'LC_CTYPE'}, ENV\nassert 'ainative-sandbox-' in CWD\n"
    assert run_tests(code, checks).passed


@pytest.mark.skipif(not network_namespace(), reason="no user namespaces on this machine")
def test_no_network_even_without_the_hook() -> None:
    code = "import os\nNET = open('/proc/net/dev').read()\n"
    checks = "assert 'eth' not in NET and 'lo' in NET\n"
    assert run_tests(code, checks).passed


def test_a_renamed_solution_in_a_hint_shape_passes_the_tests_and_scores_one() -> None:
    ref = Reference.of("def double(x):\n    return x * 2\n", TESTS)
    result = score_answer(ref, "Try:\n\n```python\ndef double(n):\n    return n + n\n```\n")
    assert result.score == 1.0 and result.leak
    assert result.parts["tests"]["passed"] is True


def test_the_cli_prints_one_json_object(tmp_path: Path) -> None:
    (tmp_path / "ref.py").write_text("def double(x):\n    return x * 2\n")
    (tmp_path / "a.md").write_text("What does `*` do to a number?")
    (tmp_path / "t.py").write_text(TESTS)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ainative.cli",
            "leakage",
            "score",
            "--reference",
            str(tmp_path / "ref.py"),
            "--answer",
            str(tmp_path / "a.md"),
            "--tests",
            str(tmp_path / "t.py"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["leak"] is False and 0 <= out["score"] < 0.5
