"""The commands that run the platform's processes.

`ainative up`, the test stack, docker-compose and Kubernetes all run these same
commands, so what is tested is what is deployed.
"""

from __future__ import annotations

import sys

from ainative.config import Settings


def api_command(settings: Settings, port: int | None = None, host: str | None = None) -> list[str]:
    """The API: uvicorn serving api.main:app."""
    return [
        sys.executable, "-m", "uvicorn", "api.main:app",
        "--host", host or settings.api_host,
        "--port", str(port or settings.api_port),
        "--no-access-log",
    ]  # fmt: skip


def worker_command(
    settings: Settings, name: str = "worker", concurrency: int | None = None
) -> list[str]:
    """A Celery worker: a thread pool suits the I/O-bound LLM calls."""
    return [
        sys.executable, "-m", "celery", "-A", "worker", "worker",
        "--loglevel", "INFO",
        "--pool", "threads",
        "--concurrency", str(concurrency or settings.worker_concurrency),
        "--queues", settings.tutor_queue,
        "--hostname", f"{name}@%h",
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip


def beat_command(settings: Settings, schedule_file: str) -> list[str]:
    """Celery beat: runs the sweeper that re-enqueues stuck interactions."""
    return [
        sys.executable, "-m", "celery", "-A", "worker", "beat",
        "--loglevel", "INFO",
        "--schedule", schedule_file,
    ]  # fmt: skip


def hub_command(settings: Settings) -> list[str]:
    """JupyterHub with jupyterhub_config.py; its ports and paths come from Settings too."""
    from ainative.config import REPO_ROOT

    return [sys.executable, "-m", "jupyterhub", "-f", str(REPO_ROOT / "jupyterhub_config.py")]


def flower_command(settings: Settings) -> list[str]:
    """Flower for admins: basic auth, port and URL prefix come from its config file.

    The file (ainative/observability/flowerconfig.py) reads FLOWER_BASIC_AUTH,
    FLOWER_PORT, FLOWER_HOST and FLOWER_URL_PREFIX through Settings, so the password
    is never on the command line; Flower refuses to start without credentials.
    """
    if not settings.flower_basic_auth.strip():
        raise RuntimeError("FLOWER_BASIC_AUTH is not set (user:password); `ainative secrets`")
    from pathlib import Path

    import ainative

    conf = Path(ainative.__file__).parent / "observability" / "flowerconfig.py"
    return [sys.executable, "-m", "celery", "-A", "worker", "flower", f"--conf={conf}"]
