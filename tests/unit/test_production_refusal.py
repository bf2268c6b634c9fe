"""The worker and beat refuse to start in production on unsafe settings, naming them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("process", ["worker", "beat"])
def test_celery_refuses_default_secret_in_production(process: str) -> None:
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "PSEUDONYM_KEY": "x" * 40,
    }
    env.pop("JWT_SECRET_KEY", None)  # left at the development default
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "worker", process],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "JWT_SECRET_KEY is the development default" in result.stderr + result.stdout
