"""py-spy on the API and the worker while a scenario is measured (`--profile DIR`).

Each profiled process tree is sampled by `py-spy record --format raw` (collapsed stacks,
subprocesses included, idle frames left out) from the window's start to its end. The
summary is where the CPU went: the functions most often on top of a stack (self time)
and the project's functions most often anywhere in one (inclusive), each as a share of
that process's samples. Sampling perturbs the run a little; compare profiled runs with
profiled runs.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROFILED = ("api", "worker")
RATE = 200  # samples per second
TOP = 15  # kept in the JSON; the table prints the first five
# a frame in py-spy's raw format: "function (path/file.py:line)"
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::\d+)?\)$")
OURS = ("ainative/", "api/", "worker/")  # the project's modules, relative to the repository
REPO = str(Path(__file__).resolve().parents[3]) + "/"


def available() -> str | None:
    """The py-spy executable, or None (the profile is then skipped, and says so)."""
    beside = Path(sys.executable).with_name("py-spy")  # the venv's, when not on PATH
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextmanager
def recording(
    out_dir: Path | None, scenario: str, roots: dict[str, int]
) -> Iterator[dict[str, Any]]:
    """Sample PROFILED processes for the block; the yielded dict gets the summary after it."""
    summary: dict[str, Any] = {}
    exe = available()
    if out_dir is None or exe is None:
        if out_dir is not None:
            summary["skipped"] = "py-spy is not installed (pip install py-spy)"
        yield summary
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    running: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    for name, pid in roots.items():
        if not any(name.startswith(p) for p in PROFILED):
            continue
        path = out_dir / f"{scenario}-{name}.txt"
        command = [exe, "record", "--pid", str(pid), "--format", "raw", "--output", str(path)]
        command += ["--rate", str(RATE), "--subprocesses", "--nonblocking", "--gil"]
        running[name] = (
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
            path,
        )
    try:
        yield summary
    finally:
        for name, (proc, path) in running.items():
            proc.send_signal(signal.SIGINT)
            try:
                _, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            if path.exists():
                summary[name] = hot_spots(path.read_text(errors="replace"))
            else:
                summary[name] = {"error": err.decode(errors="replace")[-300:]}


def hot_spots(raw: str, top: int = TOP) -> dict[str, Any]:
    """Self and inclusive shares of the top functions in py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in (_name(f) for f in stack.split(";")) if f]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
            if f.split(" (", 1)[1].startswith(OURS):
                ours[f] += n

    def shares(counter: Counter[str]) -> list[list[Any]]:
        return [[f, round(c / total, 3)] for f, c in counter.most_common(top)] if total else []

    return {
        "samples": total,
        "self": shares(own),
        "inclusive": shares(inclusive),
        "inclusive_ours": shares(ours),
    }


def _name(frame: str) -> str:
    """'function (file:line)' as 'function (package/module.py)'; process headers dropped."""
    match = FRAME.match(frame.strip())
    if not match:
        return ""
    file = match["file"]
    if "site-packages/" in file:
        file = file.split("site-packages/", 1)[1]
    elif file.startswith(REPO):
        file = file[len(REPO) :].removeprefix("platform/")
    return f"{match['func']} ({file})"


def table(results: dict[str, Any]) -> list[str]:
    """Lines for the report: per scenario and process, the top self-time functions."""
    lines: list[str] = []
    for scenario, result in results.items():
        prof = result.get("profile") or {}
        if prof.get("skipped"):
            lines.append(f"profile: {prof['skipped']}")
            break
        for proc, spots in prof.items():
            if not isinstance(spots, dict) or "self" not in spots:
                continue
            lines.append(f"{scenario} / {proc} ({spots['samples']} samples), self:")
            lines += [f"  {share:6.1%}  {func}" for func, share in spots["self"][:5]]
            lines.append("  inclusive (project code):")
            lines += [f"  {share:6.1%}  {func}" for func, share in spots["inclusive_ours"][:5]]
    return lines
