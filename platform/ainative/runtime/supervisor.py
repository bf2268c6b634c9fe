"""Keep the platform's processes running: `ainative up`'s process supervisor.

One dead process must not take the platform down: it is restarted after a back-off
that doubles up to a cap and resets once the process has stayed up for a while, and
each restart is logged with the exit code and the next delay. Each child runs in its
own process group, so a stop (SIGINT/SIGTERM to the launcher) reaches every process
a child forked (uvicorn's workers) and a terminal's Ctrl-C reaches only the launcher,
which stops the children in order: SIGTERM to each group, SIGKILL after a grace period.
Output is line-prefixed with the time and the process name, as honcho did.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import TextIO


@dataclass(frozen=True)
class Backoff:
    """Restart delays: `initial`, doubled per quick death up to `cap`.

    A process that stayed up `reset_after` seconds starts again from `initial`.
    """

    initial: float = 1.0
    cap: float = 30.0
    reset_after: float = 60.0

    def next(self, previous: float | None, uptime: float) -> float:
        """The delay before the next start, given the last delay and how long the process ran."""
        if previous is None or uptime >= self.reset_after:
            return self.initial
        return min(previous * 2, self.cap)


@dataclass
class _Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    delay: float | None = None
    restart_at: float = 0.0
    readers: list[threading.Thread] = field(default_factory=list)


class Supervisor:
    """Runs named commands until stopped, restarting any that dies."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        backoff: Backoff = Backoff(),
        grace: float = 10.0,
        tick: float = 0.2,
    ) -> None:
        self._out = out or sys.stdout
        self._backoff = backoff
        self._grace = grace
        self._tick = tick
        self._children: list[_Child] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._force = threading.Event()
        self._signal = ""

    def add(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        """Register a command; `env` replaces the environment (None inherits this one)."""
        self._children.append(_Child(name, list(argv), env))

    def stop(self) -> None:
        """Ask `run` to stop everything (from any thread); a second call skips the grace period."""
        if self._stopping.is_set():
            self._force.set()
        self._stopping.set()

    def run(self) -> int:
        """Start all commands and supervise them until `stop` or SIGINT/SIGTERM; returns 0.

        Signal handlers are installed only when called from the main thread.
        """
        main = threading.current_thread() is threading.main_thread()
        signals = (signal.SIGINT, signal.SIGTERM) if main else ()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in signals}
        try:
            for child in self._children:
                self._start(child)
            while not self._stopping.is_set():
                self._watch(time.monotonic())
                self._stopping.wait(self._tick)
            if self._signal:
                self.log("system", f"{self._signal} received, stopping all processes")
        finally:
            self._stop_all()  # also when a start failed: leave nothing running
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def log(self, name: str, text: str) -> None:
        """Write one prefixed line per line of `text` to the output."""
        width = max([6, *(len(c.name) for c in self._children)])
        stamp = time.strftime("%H:%M:%S")
        lines = "".join(f"{stamp} {name:<{width}} | {line}\n" for line in text.splitlines())
        with self._lock:
            self._out.write(lines)
            self._out.flush()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only flags here: the interrupted main thread may hold the output lock.
        self._signal = self._signal or signal.Signals(signum).name
        self.stop()

    def _start(self, child: _Child) -> None:
        child.proc = subprocess.Popen(
            child.argv,
            env=child.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        child.started_at = time.monotonic()
        reader = threading.Thread(target=self._relay, args=(child.name, child.proc), daemon=True)
        reader.start()
        child.readers = [t for t in child.readers if t.is_alive()] + [reader]
        self.log("system", f"{child.name} started (pid={child.proc.pid})")

    def _relay(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        if proc.stdout is None:
            return
        for raw in proc.stdout:
            self.log(name, raw.decode(errors="replace").rstrip("\r\n") or " ")
        proc.stdout.close()

    def _watch(self, now: float) -> None:
        for child in self._children:
            if child.proc is None:
                if now >= child.restart_at:
                    self._start(child)
                continue
            code = child.proc.poll()
            if code is None:
                continue
            _kill_group(child.proc.pid, signal.SIGKILL)  # what it forked must not hold its port
            child.proc = None
            child.delay = self._backoff.next(child.delay, now - child.started_at)
            child.restart_at = now + child.delay
            self.log(
                "system",
                f"{child.name} exited with code {_describe(code)}; restarting in {child.delay:g} s",
            )

    def _stop_all(self) -> None:
        running = [c.proc for c in self._children if c.proc is not None]
        for proc in running:
            _kill_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self._grace
        while any(p.poll() is None for p in running) and time.monotonic() < deadline:
            if self._force.wait(0.1):
                break
        for proc in running:
            if proc.poll() is None:
                self.log("system", f"pid {proc.pid} still running after the grace period, killing")
            _kill_group(proc.pid, signal.SIGKILL)  # and anything left in its group
            proc.wait()
        for child in self._children:
            for reader in child.readers:
                reader.join(timeout=5)
            if child.proc is not None:
                code = _describe(child.proc.wait())
                self.log("system", f"{child.name} stopped, exit code {code}")
                child.proc = None


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already empty


def _describe(code: int) -> str:
    """An exit code, with the signal's name when a signal ended the process."""
    if code < 0:
        try:
            return f"{code} ({signal.Signals(-code).name})"
        except ValueError:
            pass
    return str(code)
