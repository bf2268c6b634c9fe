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
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROFILED = ("api", "worker")
RATE = 200  # samples per second
TOP = 5
# a frame in py-spy's raw format: "function (path/file.py:line)"
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::\d+)?\)$")
OURS = ("/ainative/", "/api/", "/worker/")


def available() -> str | None:
    """The py-spy executable, or None (the profile is then skipped, and says so)."""
    return shutil.which("py-spy")


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
        command += ["--rate", str(RATE), "--subprocesses", "--nonblocking"]
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
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_name(f) for f in stack.split(";")]
        frames = [f for f in frames if f]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            if any(o in f for o in OURS):
                inclusive[f] += n

    def shares(counter: Counter[str]) -> list[list[Any]]:
        return [[f, round(c / total, 3)] for f, c in counter.most_common(top)] if total else []

    return {"samples": total, "self": shares(own), "inclusive_ours": shares(inclusive)}


def _name(frame: str) -> str:
    """'function (file:line)' as 'function (short/path.py)'; process headers are dropped."""
    match = FRAME.match(frame.strip())
    if not match:
        return ""
    file = match["file"]
    for marker in ("site-packages/", "/platform/", "/work/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
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
            lines += [f"  {share:6.1%}  {func}" for func, share in spots["self"]]
            lines.append("  inclusive (project code):")
            lines += [f"  {share:6.1%}  {func}" for func, share in spots["inclusive_ours"]]
    return lines
