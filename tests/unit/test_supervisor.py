"""The supervisor of `ainative up`, with tiny real commands."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ainative.runtime.supervisor import Backoff, Supervisor
from tests.support.eventually import eventually

PY = sys.executable
SLEEPER = "import os, time; print('pid', os.getpid(), flush=True); time.sleep(600)"


def _alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (an orphan may wait for a busy init)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Running:
    """A Supervisor run in a thread, its output in a file."""

    def __init__(self, log: Path, backoff: Backoff, grace: float) -> None:
        self.log = log
        self._out = open(log, "w")
        self.supervisor = Supervisor(self._out, backoff=backoff, grace=grace)
        self._thread = threading.Thread(target=self.supervisor.run)

    def start(self) -> None:
        self._thread.start()

    def text(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        self.supervisor.stop()
        self._thread.join(120)
        assert not self._thread.is_alive()
        self._out.close()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    made: list[Running] = []

    def make(backoff: Backoff = Backoff(), grace: float = 10.0) -> Running:
        made.append(Running(tmp_path / f"out{len(made)}.log", backoff, grace))
        return made[-1]

    yield make
    for run in made:
        if run._thread.is_alive():
            run.stop()


def _pid(text: str, pattern: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, text
    return int(found.group(1))


def _delays(text: str, name: str, code: str) -> list[str]:
    return re.findall(rf"\| {name} exited with code {re.escape(code)}; restarting in (\S+) s", text)


@pytest.mark.parametrize(
    ("previous", "uptime", "expected"),
    [(None, 0.0, 1.0), (1.0, 0.5, 2.0), (16.0, 0.5, 30.0), (30.0, 0.5, 30.0), (30.0, 60.0, 1.0)],
)
def test_backoff_doubles_up_to_the_cap_and_resets_after_a_long_run(
    previous: float | None, uptime: float, expected: float
) -> None:
    assert Backoff(initial=1, cap=30, reset_after=60).next(previous, uptime) == expected


def test_dead_process_is_restarted_with_growing_delay_and_the_others_keep_running(
    running: Callable[..., Running],
) -> None:
    run = running(backoff=Backoff(initial=0.1, cap=0.4, reset_after=600))
    run.supervisor.add("flaky", [PY, "-c", "print('flaky up'); raise SystemExit(3)"])
    run.supervisor.add("steady", [PY, "-c", SLEEPER])
    run.start()
    assert eventually(lambda: len(_delays(run.text(), "flaky", "3")) >= 4, 60, interval=0.05), (
        run.text()
    )
    text = run.text()
    assert _delays(text, "flaky", "3")[:4] == ["0.1", "0.2", "0.4", "0.4"]
    # Each run's output is prefixed with the time and the name, as honcho did.
    assert len(re.findall(r"^\d\d:\d\d:\d\d flaky  \| flaky up$", text, re.M)) >= 4, text
    assert len(re.findall(r"\| steady started \(pid=", text)) == 1, text
    steady = _pid(text, r"steady \| pid (\d+)")
    assert _alive(steady)
    run.stop()
    assert not _alive(steady)
    assert "steady stopped, exit code -15 (SIGTERM)" in run.text()


def test_restart_delay_resets_once_the_process_stayed_up(
    running: Callable[..., Running],
) -> None:
    run = running(backoff=Backoff(initial=0.1, cap=5, reset_after=0.5))
    run.supervisor.add("slow", [PY, "-c", "import time; time.sleep(1); raise SystemExit(1)"])
    run.start()
    assert eventually(lambda: len(_delays(run.text(), "slow", "1")) >= 3, 60, interval=0.05), (
        run.text()
    )
    run.stop()
    assert _delays(run.text(), "slow", "1")[:3] == ["0.1", "0.1", "0.1"]


def test_stop_kills_whole_groups_even_what_ignores_sigterm(
    running: Callable[..., Running],
) -> None:
    stubborn = textwrap.dedent(
        """
        import os, signal, subprocess, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print("pids", os.getpid(), child.pid, flush=True)
        time.sleep(600)
        """
    )
    run = running(grace=1.0)
    run.supervisor.add("stubborn", [PY, "-c", stubborn])
    run.supervisor.add("sleeper", [PY, "-c", SLEEPER])
    run.start()
    assert eventually(
        lambda: "| pids " in run.text() and "| pid " in run.text(), 60, interval=0.05
    ), run.text()
    text = run.text()
    found = re.search(r"\| pids (\d+) (\d+)", text)
    assert found is not None
    pids = [int(found.group(1)), int(found.group(2))]
    pids.append(_pid(text, r"sleeper  \| pid (\d+)"))
    assert all(_alive(pid) for pid in pids)
    run.stop()
    # The orphaned grandchild dies asynchronously once its group got SIGKILL.
    assert eventually(lambda: not any(_alive(pid) for pid in pids), 60, interval=0.05), [
        p for p in pids if _alive(p)
    ]
    assert f"pid {pids[0]} still running after the grace period, killing" in run.text()
    assert "stubborn stopped, exit code -9 (SIGKILL)" in run.text()


def test_sigterm_to_the_launcher_stops_every_process(tmp_path: Path) -> None:
    launcher = textwrap.dedent(
        f"""
        import sys
        from ainative.runtime.supervisor import Supervisor
        supervisor = Supervisor()
        supervisor.add("sleeper", [sys.executable, "-c", {SLEEPER!r}])
        raise SystemExit(supervisor.run())
        """
    )
    log = tmp_path / "launcher.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([PY, "-c", launcher], stdout=out, stderr=subprocess.STDOUT)
    try:
        assert eventually(lambda: "sleeper | pid " in log.read_text(), 60, interval=0.05), (
            log.read_text()
        )
        sleeper = _pid(log.read_text(), r"sleeper \| pid (\d+)")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not _alive(sleeper)
    assert "SIGTERM received, stopping all processes" in log.read_text()
