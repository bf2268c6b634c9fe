"""What the containers must run: ainative.runtime.processes' commands as seen inside the image.

The images (deploy/docker/Dockerfile*) install the package non-editable into
python:3.11-slim's site-packages and run `python`; files the commands name (the hub's
and Flower's configuration) are package data there. The API listens on 0.0.0.0:8080
and workers take the `tutor` queue with 200 tasks in flight, the API runs 2 processes
(the values compose and the ConfigMap set).
"""

from __future__ import annotations

import sys
from pathlib import Path

import ainative
from ainative.config import Settings
from ainative.runtime.processes import (
    api_command,
    beat_command,
    console_command,
    flower_command,
    hub_command,
    worker_command,
)

BASE_IMAGE = "python:3.11-slim"
# Where `pip install .` puts the package in BASE_IMAGE.
CONTAINER_PACKAGE = "/usr/local/lib/python3.11/site-packages/ainative"
LOCAL_PACKAGE = Path(ainative.__file__).parent

CONTAINER_SETTINGS = {
    "api_host": "0.0.0.0",
    "api_port": 8080,
    "worker_concurrency": 200,
    "api_workers": 2,
    "tutor_queue": "tutor",
}


def inside(argv: list[str]) -> list[str]:
    """A local command as the image runs it: `python`, package files in site-packages."""
    out = ["python" if a == sys.executable else a for a in argv]
    return [a.replace(str(LOCAL_PACKAGE), CONTAINER_PACKAGE) for a in out]


def local_file(container_path: str) -> Path:
    """The package file of this checkout that a container path names."""
    return LOCAL_PACKAGE / container_path.removeprefix(CONTAINER_PACKAGE + "/")


def expected_commands(beat_schedule: str) -> dict[str, list[str]]:
    """Each process's argv as the containers must run it."""
    settings = Settings(_env_file=None, **CONTAINER_SETTINGS)
    return {
        "api": inside(api_command(settings)),
        "worker": inside(worker_command(settings)),
        "beat": inside(beat_command(beat_schedule)),
        "flower": inside(flower_command()),
        "hub": inside(hub_command()),
        "console": inside(console_command()),
    }
