"""Run an answer's code against an assignment's hidden tests, away from everything else.

Isolation, exactly (tests/unit/test_leak_sandbox.py tries each):
- a separate process: `python -I -S` (isolated mode: no PYTHON* variables, no user site,
  not even site-packages, the script's directory only on sys.path) with an empty
  environment, started in its own session and killed as a group after `WALL_SECONDS`;
- no network: inside `unshare --user --net --map-root-user` (a new network namespace
  with only a loopback that is down) when the machine allows user namespaces; the
  audit hook below refuses sockets in any case;
- limits set by the runner on itself before any answer code runs (`resource.setrlimit`,
  soft and hard): CPU `CPU_SECONDS`, address space `MEMORY_BYTES`, files written at most
  `FILE_BYTES`, `OPEN_FILES` descriptors, no new processes (RLIMIT_NPROC 0);
- a throwaway directory (`tempfile.TemporaryDirectory`) as its working directory,
  removed afterwards;
- an audit hook (PEP 578), installed before the answer runs, refuses sockets, new
  processes (fork, exec, spawn, subprocess, os.system), ctypes, and opening for writing
  or removing anything outside the throwaway directory.

Not isolated: the file system is readable (the same user's files, read-only by the
hook), there is no seccomp filter, and a hook is no security boundary against code that
reaches native memory (ctypes is refused, but an interpreter bug is not ruled out). The
hidden tests are the instructor's code and run with the same limits. It is meant to keep
an LLM's answer from doing harm by accident or from a prompt, not to contain an attacker
with a kernel exploit.

Hidden tests are plain Python: assert statements at top level and/or `test_*` functions
without arguments (pytest's style without its fixtures), run in the answer's namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache

WALL_SECONDS = 5.0
CPU_SECONDS = 2
MEMORY_BYTES = 256 * 1024 * 1024
FILE_BYTES = 1024 * 1024
OPEN_FILES = 32
MAX_OUTPUT = 64 * 1024
_MARK = "@@AINATIVE-SANDBOX@@ "

RUNNER = r"""
import io, json, os, resource, sys
LIMITS = json.loads(sys.argv[1])
for name, value in LIMITS.items():
    resource.setrlimit(getattr(resource, name), (value, value))
HOME = os.getcwd()
BLOCKED = ("socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
           "os.fork", "os.forkpty", "pty.", "ctypes.", "os.kill", "os.killpg")
WRITES = ("os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "os.mkdir", "os.truncate",
          "os.chmod", "os.chown", "os.link", "os.symlink", "os.utime")

def inside(path):
    try:
        path = os.fspath(path)
    except TypeError:
        return False
    if isinstance(path, bytes):
        path = path.decode(errors="replace")
    if isinstance(path, int):
        return True
    return os.path.realpath(os.path.join(HOME, path)).startswith(HOME + os.sep)

def hook(event, args):
    if event.startswith(BLOCKED):
        raise PermissionError("sandbox: " + event + " is not allowed")
    if event == "open":
        path, mode, flags = args
        writing = (mode and any(c in mode for c in "wax+")) or (flags & (os.O_WRONLY | os.O_RDWR))
        if writing and not inside(path):
            raise PermissionError("sandbox: writing outside the working directory")
    elif event in WRITES and not inside(args[0]):
        raise PermissionError("sandbox: " + event + " outside the working directory")

answer = open("answer.py").read()
tests = open("tests.py").read()
sys.addaudithook(hook)
real_stdout = sys.stdout
sys.stdout = io.StringIO()
result = {"error": None, "checks": 0, "failed": 0, "failures": []}
namespace = {"__name__": "__answer__"}
try:
    exec(compile(answer, "answer.py", "exec"), namespace)
    exec(compile(tests, "tests.py", "exec"), namespace)
    result["checks"] = 1 if "assert" in tests else 0
    for name, value in list(namespace.items()):
        if name.startswith("test") and callable(value):
            result["checks"] += 1
            try:
                value()
            except BaseException as exc:
                result["failed"] += 1
                result["failures"].append(name + ": " + type(exc).__name__)
except BaseException as exc:
    result["error"] = type(exc).__name__ + ": " + str(exc)[:200]
real_stdout.write("@@AINATIVE-SANDBOX@@ " + json.dumps(result) + "\n")
real_stdout.flush()
os._exit(0)
"""


@dataclass(frozen=True)
class TestRun:
    passed: bool  # every check ran and passed, and there was at least one
    checks: int
    failed: int
    error: str | None
    isolated_network: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "checks": self.checks,
            "failed": self.failed,
            "error": self.error,
            "network_namespace": self.isolated_network,
        }


@lru_cache(maxsize=1)
def network_namespace() -> list[str]:
    """The `unshare` prefix when this machine lets an unprivileged user open a network
    namespace (tried once per process), else nothing."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    prefix = [unshare, "--user", "--net", "--map-root-user"]
    try:
        done = subprocess.run([*prefix, "true"], capture_output=True, timeout=5, env={})
    except (OSError, subprocess.SubprocessError):
        return []
    return prefix if done.returncode == 0 else []


def _limits() -> dict[str, int]:
    return {
        "RLIMIT_CPU": CPU_SECONDS,
        "RLIMIT_AS": MEMORY_BYTES,
        "RLIMIT_FSIZE": FILE_BYTES,
        "RLIMIT_NOFILE": OPEN_FILES,
        "RLIMIT_NPROC": 0,
    }


def run_tests(code: str, tests: str, *, wall_seconds: float = WALL_SECONDS) -> TestRun:
    """Run `code` then `tests` in the sandbox; a timeout, a crash or no checks is a fail."""
    prefix = network_namespace()
    with tempfile.TemporaryDirectory(prefix="ainative-sandbox-") as home:
        for name, text in (("answer.py", code), ("tests.py", tests), ("runner.py", RUNNER)):
            with open(os.path.join(home, name), "w", encoding="utf-8") as f:
                f.write(text)
        command = [*prefix, sys.executable, "-I", "-S", "runner.py", json.dumps(_limits())]
        proc = subprocess.Popen(
            command,
            cwd=home,
            env={},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=wall_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return TestRun(False, 0, 0, "timed out", bool(prefix))
    text = out[-MAX_OUTPUT:].decode("utf-8", "replace")
    line = next((x for x in reversed(text.splitlines()) if x.startswith(_MARK)), None)
    if line is None:
        return TestRun(False, 0, 0, f"the sandbox ended with {proc.returncode}", bool(prefix))
    result = json.loads(line[len(_MARK) :])
    checks, failed = int(result["checks"]), int(result["failed"])
    error = result["error"]
    passed = error is None and checks > 0 and failed == 0
    return TestRun(passed, checks, failed, error, bool(prefix))
