"""The kernel's explanation of a failed cell, in a real IPython kernel, through the widget.

A real ipykernel (jupyter_client starts it) loads the extension the way a notebook does;
the student's cell fails; the widget's "What the tutor will see" shows the explanation
and the request's context carries it unless its box is unticked. friendly-traceback is
the outside party here: a cell in the kernel breaks it or slows it down, and the question
still goes, without an explanation.
"""

from __future__ import annotations

import json
import os
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parents[2]

WHAT_THE_WIDGET_SENDS = """
import json, sys, warnings
import ainative.notebook as nb
w = nb.tutor_widget()
out = nb._capture.outgoing()
w.preview.show(out)
ticked = out.context(w.preview.include())
w.preview.checks["explanation"].value = False
unticked = out.context(w.preview.include())
print(json.dumps({
    "shown": w.preview.shown["explanation"].value,
    "box_enabled": not w.preview.checks["explanation"].disabled,
    "ticked": ticked, "unticked": unticked,
    "excepthook": getattr(sys.excepthook, "__module__", ""),
    "showwarning": getattr(warnings.showwarning, "__module__", ""),
}))
"""


@dataclass
class Run:
    stdout: str = ""
    errors: list[dict[str, object]] = field(default_factory=list)

    def last_json(self) -> dict[str, object]:
        return json.loads(self.stdout.strip().splitlines()[-1])


class Kernel:
    def __init__(self, client: object) -> None:
        self.client = client

    def run(self, code: str, timeout: float = 60.0) -> Run:
        kc = self.client
        msg_id = kc.execute(code, store_history=True)  # type: ignore[attr-defined]
        run = Run()
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=timeout)  # type: ignore[attr-defined]
            except queue.Empty:
                raise AssertionError(f"no reply to {code!r} within {timeout}s") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                run.stdout += content["text"]
            elif kind == "error":
                run.errors.append(content)
            elif kind == "status" and content["execution_state"] == "idle":
                return run


@contextmanager
def started_kernel(**settings: str) -> Iterator[Kernel]:
    """A real ipykernel with the extension loaded, `settings` in its environment."""
    env = {**os.environ, **settings}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "platform"), str(ROOT)])
    env.pop("AINATIVE_COURSES", None)
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(ROOT))
    try:
        k = Kernel(kc)
        assert not k.run("%load_ext ainative.notebook").errors
        yield k
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture
def kernel() -> Iterator[Kernel]:
    with started_kernel() as k:
        yield k


def test_a_failed_cell_sends_the_explanation_unless_unticked(kernel: Kernel) -> None:
    failed = kernel.run("scores = [1, 2, 3]\nbig = 'x' * 5000\nprint(scores[3])")
    # the student's own traceback, as IPython shows it, and nothing of friendly-traceback's
    assert [e["ename"] for e in failed.errors] == ["IndexError"]
    assert "You have tried" not in failed.stdout + "".join(
        "".join(e["traceback"])
        for e in failed.errors  # type: ignore[arg-type]
    )
    sent = kernel.run(WHAT_THE_WIDGET_SENDS).last_json()
    explanation = sent["ticked"]["explanation"]  # type: ignore[index]
    assert "Line 3: print(scores[3])" in explanation
    assert "index `3` of `scores`" in explanation
    assert "Value: scores = [1, 2, 3]" in explanation
    assert "big" not in explanation  # a variable the explanation does not name
    assert "index `3` of `scores`" in str(sent["shown"]) and sent["box_enabled"] is True
    assert "explanation" not in sent["unticked"]  # type: ignore[operator]
    assert set(sent["unticked"]) == {"code", "error"}  # type: ignore[arg-type]
    assert "friendly" not in str(sent["excepthook"]) + str(sent["showwarning"])


def test_values_are_clipped(kernel: Kernel) -> None:
    kernel.run("ages = {f'student{i}': i for i in range(400)}\nages['carl']")
    explanation = kernel.run(WHAT_THE_WIDGET_SENDS).last_json()["ticked"]["explanation"]  # type: ignore[index]
    value = next(line for line in str(explanation).splitlines() if line.startswith("Value: ages"))
    assert "`'carl'`" in str(explanation)
    assert len(value.removeprefix("Value: ages = ")) <= 200


@pytest.mark.parametrize(
    "breakage",
    [
        "FriendlyTraceback.compile_info = lambda self: 1 / 0",  # the library raises
        "FriendlyTraceback.compile_info = lambda self: time.sleep(5)",  # the library is late
        "FriendlyTraceback.compile_info = lambda self: sys.exit('fatal')",  # it exits
    ],
)
def test_no_explanation_when_the_library_fails_and_the_question_still_goes(
    kernel: Kernel, breakage: str
) -> None:
    assert not kernel.run(
        "import sys, time\nfrom friendly_traceback.core import FriendlyTraceback\n" + breakage
    ).errors
    failed = kernel.run("grades = []\naverage = sum(grades) / len(grades)")
    assert [e["ename"] for e in failed.errors] == ["ZeroDivisionError"]
    sent = kernel.run(WHAT_THE_WIDGET_SENDS).last_json()
    assert set(sent["ticked"]) == {"code", "error"}  # type: ignore[arg-type]
    assert "ZeroDivisionError" in sent["ticked"]["error"]  # type: ignore[index]
    assert sent["box_enabled"] is False
    assert kernel.run("print('still alive')").stdout.strip() == "still alive"


def test_a_cell_that_runs_has_no_explanation(kernel: Kernel) -> None:
    kernel.run("scores = [1, 2, 3]\nscores[5]")
    kernel.run("total = sum([1, 2, 3])")
    sent = kernel.run(WHAT_THE_WIDGET_SENDS).last_json()
    assert set(sent["ticked"]) == {"code"}  # type: ignore[arg-type]


def test_a_budget_of_zero_turns_the_explanation_off() -> None:
    with started_kernel(EXPLANATION_BUDGET_MS="0") as kernel:
        kernel.run("scores = [1, 2, 3]\nscores[5]")
        sent = kernel.run(WHAT_THE_WIDGET_SENDS).last_json()
        assert set(sent["ticked"]) == {"code", "error"}  # type: ignore[arg-type]
        assert (
            kernel.run("import sys; print('friendly_traceback' in sys.modules)").stdout.strip()
            == "False"
        )
