"""The commands that run the platform's processes.

`ainative up`, the test stack, docker-compose and Kubernetes all run these same
commands, so what is tested is what is deployed. Files they name (the hub's and
Flower's configuration) come from the installed package, not from a checkout.
"""

from __future__ import annotations

import os
import sys

from ainative import resources
from ainative.config import Settings


def api_processes(settings: Settings) -> int:
    """API_WORKERS, or one process per CPU this process may run on."""
    return settings.api_workers or len(os.sched_getaffinity(0))


# Idle keep-alive connections stay open longer than a proxy's or load balancer's idle
# timeout (nginx's upstream keepalive_timeout: 60 s), so the client side always closes
# first: a client reusing a connection just as the API closes it gets "server
# disconnected" (behind nginx, a 502).
KEEP_ALIVE_SECONDS = 75


def api_command(settings: Settings, port: int | None = None) -> list[str]:
    """The API: uvicorn serving api.main:app, one process per core by default."""
    return [
        *(sys.executable, "-m", "uvicorn", "api.main:app"),
        *("--host", settings.api_host),
        *("--port", str(port or settings.api_port)),
        *("--workers", str(api_processes(settings))),
        *("--timeout-keep-alive", str(KEEP_ALIVE_SECONDS)),
        "--no-access-log",
    ]


def worker_command(settings: Settings, name: str = "worker") -> list[str]:
    """A Celery worker: a thread pool suits the I/O-bound LLM calls."""
    return [
        *(sys.executable, "-m", "celery", "-A", "worker", "worker"),
        *("--loglevel", "INFO"),
        *("--pool", "threads"),
        *("--concurrency", str(settings.worker_concurrency)),
        *("--queues", settings.tutor_queue),
        *("--hostname", f"{name}@%h"),
        *("--without-gossip", "--without-mingle"),
    ]


def beat_command(schedule_file: str) -> list[str]:
    """Celery beat: runs the sweeper that re-enqueues stuck interactions."""
    return [
        *(sys.executable, "-m", "celery", "-A", "worker", "beat"),
        *("--loglevel", "INFO"),
        *("--schedule", schedule_file),
    ]


def hub_command() -> list[str]:
    """JupyterHub with the packaged jupyterhub_config.py; its ports and paths come from Settings."""
    return [sys.executable, "-m", "jupyterhub", "-f", str(resources.hub_config())]


def flower_command() -> list[str]:
    """Flower for admins: basic auth, port and URL prefix come from its config file.

    The file (ainative/observability/flowerconfig.py) reads FLOWER_BASIC_AUTH,
    FLOWER_PORT, FLOWER_HOST and FLOWER_URL_PREFIX through Settings, so the password
    is never on the command line; it refuses to start without credentials
    (Settings.check_production("flower")).
    """
    conf = resources.flower_config()
    return [sys.executable, "-m", "celery", "-A", "worker", "flower", f"--conf={conf}"]


def console_command() -> list[str]:
    """The staff console, a hub service at /services/console/ (ainative.console.app).

    It reads CONSOLE_HOST, CONSOLE_PORT, CONSOLE_API_URL, CONSOLE_HUB_TOKEN and
    CONSOLE_COOKIE_SECRET through Settings, so no secret is on the command line.
    """
    return [sys.executable, "-m", "ainative.console"]
