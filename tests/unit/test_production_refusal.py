"""Each process refuses to start on unsafe settings and names them (Settings.check_production).

The processes run the launcher's commands (ainative.runtime.processes) from an empty folder, so
only the installed package and the environment count: no `.env`, no repository files.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ainative.config import Settings
from ainative.runtime.processes import beat_command, flower_command, hub_command, worker_command

SAFE_PRODUCTION = {
    "ENVIRONMENT": "production",
    "REDIS_URL": "redis://hub:a-redis-password@127.0.0.1:1/0",
    "HUB_SPAWNER": "local-users",
    "JWT_SECRET_KEY": "s" * 40,
    "PSEUDONYM_KEY": "p" * 40,
    "JUPYTERHUB_CRYPT_KEY": "ab" * 32,
    "METRICS_TOKEN": "m" * 40,
    "FLOWER_HUB_TOKEN": "f" * 40,
    "BCRYPT_ROUNDS": "12",
}
COMMANDS: dict[str, Callable[[Path], list[str]]] = {
    "worker": lambda tmp: worker_command(Settings(_env_file=None)),
    "beat": lambda tmp: beat_command(str(tmp / "schedule")),
    "hub": lambda tmp: hub_command(),
    "flower": lambda tmp: flower_command(),
}


@pytest.mark.parametrize(
    "process,change,named",
    [
        ("worker", {"JWT_SECRET_KEY": None}, "JWT_SECRET_KEY is the development default"),
        ("beat", {"JWT_SECRET_KEY": None}, "JWT_SECRET_KEY is the development default"),
        ("hub", {"JUPYTERHUB_CRYPT_KEY": None}, "JUPYTERHUB_CRYPT_KEY is not set"),
        ("hub", {"HUB_SPAWNER": None}, "HUB_SPAWNER=simple"),
        ("worker", {"REDIS_URL": "redis://127.0.0.1:1/0"}, "REDIS_URL has no password"),
        ("worker", {"METRICS_TOKEN": None}, "METRICS_TOKEN is not set"),
        ("hub", {"METRICS_TOKEN": "short"}, "METRICS_TOKEN is shorter than"),
        # Flower's login is the hub's: its service token is required, basic auth is not.
        ("flower", {"FLOWER_HUB_TOKEN": None}, "FLOWER_HUB_TOKEN is not set"),
        ("hub", {"FLOWER_HUB_TOKEN": None}, "FLOWER_HUB_TOKEN is not set"),
        ("flower", {"FLOWER_BASIC_AUTH": "admin:admin"}, "the password of 'admin' is weak"),
    ],
)
def test_process_refuses_unsafe_setting_by_name(
    process: str, change: dict[str, str | None], named: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SAFE_PRODUCTION}
    env.update(SAFE_PRODUCTION, DATA_DIR=str(tmp_path / "data"))
    for name, value in change.items():
        if value is None:
            env.pop(name)
        else:
            env[name] = value
    result = subprocess.run(
        COMMANDS[process](tmp_path),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert named in output, output[-2000:]
