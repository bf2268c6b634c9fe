"""What the containers must run: ainative.processes' commands as seen inside the image.

The image (deploy/docker/Dockerfile) installs the repository at /app and runs
`python`; the API listens on 0.0.0.0:8080 and workers take the `tutor` queue with 4
threads (the values compose and the ConfigMap set).
"""

from __future__ import annotations

import sys

from ainative.config import REPO_ROOT, Settings
from ainative.processes import (
    api_command,
    beat_command,
    flower_command,
    hub_command,
    worker_command,
)

CONTAINER_SETTINGS = {
    "api_host": "0.0.0.0",
    "api_port": 8080,
    "worker_concurrency": 4,
    "tutor_queue": "tutor",
    "flower_basic_auth": "admin:placeholder",
}


def expected_commands(beat_schedule: str, app_root: str = "/app") -> dict[str, list[str]]:
    """Each process's argv with the interpreter as `python` and the repository at app_root."""
    settings = Settings(_env_file=None, **CONTAINER_SETTINGS)

    def inside(argv: list[str]) -> list[str]:
        out = ["python" if a == sys.executable else a for a in argv]
        return [a.replace(str(REPO_ROOT), app_root) for a in out]

    return {
        "api": inside(api_command(settings)),
        "worker": inside(worker_command(settings)),
        "beat": inside(beat_command(settings, beat_schedule)),
        "flower": inside(flower_command(settings)),
        "hub": inside(hub_command(settings)),
    }
