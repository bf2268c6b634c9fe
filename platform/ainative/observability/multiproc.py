"""Multi-process Prometheus metrics: one folder per metrics endpoint, prepared at process start.

Several uvicorn workers behind one port, and Celery's prefork children behind one
worker's metrics port, each write their own mmap files; the endpoint adds them up.
The folder is keyed by the endpoint (``api-<port>``, ``worker-<metrics port>``) so two
endpoints on one host never add each other's figures, and it is cleaned at start-up
of files left by processes that are no longer running. This must run before the
first metric is created, which is why ``ainative.observability`` calls it on import.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

ENV = "PROMETHEUS_MULTIPROC_DIR"
_FILE_RE = re.compile(r"^(?:counter|histogram|summary|gauge_[a-z]+)_(\d+)\.db$")
_state: dict[str, object] = {"dir": None, "role": None}

# Celery options that take a value, so `-A worker worker` finds the subcommand.
_CELERY_VALUE_OPTIONS = {
    "-A",
    "--app",
    "-b",
    "--broker",
    "--result-backend",
    "--loader",
    "--config",
    "--workdir",
}


def detect_role(argv: list[str] | None = None) -> tuple[str, str]:
    """(role, instance) of this process from its command line: api, worker or other."""
    argv = list(sys.argv if argv is None else argv)
    program = Path(argv[0]).as_posix() if argv else ""
    if "uvicorn" in program or "gunicorn" in program:
        return "api", _option(argv, "--port") or ""
    if "celery" in program:
        return _celery_subcommand(argv[1:]), ""
    return "other", ""


def _option(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _celery_subcommand(args: list[str]) -> str:
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in _CELERY_VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in ("worker", "beat", "flower") else "other"
    return "other"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_files(path: Path) -> list[str]:
    """Remove files of processes no longer running, and this pid's (left by a previous run)."""
    removed = []
    for entry in path.glob("*.db"):
        match = _FILE_RE.match(entry.name)
        if not match:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or not _pid_alive(pid):
            entry.unlink(missing_ok=True)
            removed.append(entry.name)
    return removed


def prepare(role: str | None = None, instance: str | None = None) -> Path | None:
    """Point PROMETHEUS_MULTIPROC_DIR at this endpoint's folder (api and worker processes only).

    The base folder is METRICS_MULTIPROC_DIR (not prometheus_client's own variable,
    so beat, Flower and the CLI, which keep the in-memory registry, are not switched
    to files). Idempotent within a process. Returns the folder, or None for those roles.
    """
    if _state["role"] is not None:
        return _state["dir"]  # type: ignore[return-value]
    detected, detected_instance = detect_role()
    role = role or detected
    _state["role"] = role
    if role not in ("api", "worker"):
        return None
    from ainative.config import get_settings

    settings = get_settings()
    if instance is None:
        instance = detected_instance
    if not instance:
        instance = str(settings.api_port if role == "api" else settings.worker_metrics_port)
    base = Path(settings.metrics_multiproc_dir or (settings.data_dir / "prometheus"))
    leaf = f"{role}-{instance}"
    path = base if base.name == leaf else base / leaf
    path.mkdir(parents=True, exist_ok=True)
    clean_stale_files(path)
    os.environ[ENV] = str(path)
    _enable_value_class()
    _state["dir"] = path
    return path


def _enable_value_class() -> None:
    """If prometheus_client was imported already, switch it to mmap-backed values now."""
    values: Any = sys.modules.get("prometheus_client.values")  # a module attribute we swap
    if values is not None and not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()


def enabled() -> bool:
    """True when this process writes multi-process metric files."""
    return _state["dir"] is not None


def registry() -> CollectorRegistry:
    """The registry a metrics endpoint should render: all processes' files, or this process."""
    from prometheus_client import REGISTRY, CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    if not enabled():
        return REGISTRY
    reg = CollectorRegistry()
    MultiProcessCollector(reg, path=str(_state["dir"]))  # type: ignore[no-untyped-call]
    return reg


def mark_dead(pid: int | None = None) -> None:
    """Drop a finished process's live gauges (Celery child shutdown)."""
    if enabled():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(  # type: ignore[no-untyped-call]  # untyped upstream
            pid or os.getpid(), str(_state["dir"])
        )
