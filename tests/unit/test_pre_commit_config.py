"""`.pre-commit-config.yaml` is valid: what `pre-commit validate-config` checks, without pre-commit.

Its local hooks need id, name, entry and language (cfgv's schema in pre_commit/clientlib.py);
an unknown key is a typo pre-commit would only warn about, so it fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".pre-commit-config.yaml"
TOP_KEYS = {
    "repos",
    "default_install_hook_types",
    "default_language_version",
    "default_stages",
    "files",
    "exclude",
    "fail_fast",
    "minimum_pre_commit_version",
    "ci",
}
HOOK_REQUIRED = {"id", "name", "entry", "language"}
HOOK_OPTIONAL = {
    "alias",
    "files",
    "exclude",
    "types",
    "types_or",
    "exclude_types",
    "additional_dependencies",
    "args",
    "always_run",
    "fail_fast",
    "pass_filenames",
    "description",
    "language_version",
    "log_file",
    "minimum_pre_commit_version",
    "require_serial",
    "stages",
    "verbose",
}
LANGUAGES = {"system", "python", "script", "node", "docker", "docker_image", "fail", "pygrep"}


def load() -> dict[str, Any]:
    config = yaml.safe_load(CONFIG.read_text())
    assert isinstance(config, dict)
    return config


def test_the_config_has_the_shape_pre_commit_validates() -> None:
    config = load()
    assert set(config) <= TOP_KEYS and isinstance(config["repos"], list) and config["repos"]
    for repo in config["repos"]:
        assert isinstance(repo, dict) and isinstance(repo["hooks"], list) and repo["hooks"]
        assert repo["repo"] == "local" or "rev" in repo, repo["repo"]
        for hook in repo["hooks"]:
            keys = set(hook)
            assert HOOK_REQUIRED <= keys, f"{hook.get('id')}: missing {HOOK_REQUIRED - keys}"
            assert keys <= HOOK_REQUIRED | HOOK_OPTIONAL, f"{hook['id']}: {keys - HOOK_OPTIONAL}"
            assert all(isinstance(hook[k], str) and hook[k] for k in HOOK_REQUIRED), hook["id"]
            assert hook["language"] in LANGUAGES, hook["id"]
            assert isinstance(hook.get("pass_filenames", True), bool), hook["id"]


def test_the_hooks_are_the_lint_tools_of_the_venv() -> None:
    hooks = {hook["id"]: hook for repo in load()["repos"] for hook in repo["hooks"]}
    assert set(hooks) == {"ruff-check", "ruff-format", "mypy"}
    assert hooks["mypy"]["pass_filenames"] is False  # mypy reads its files from pyproject
    for hook in hooks.values():
        tool = hook["entry"].split()[0]
        assert tool.startswith(".venv/bin/"), hook["id"]
        if (ROOT / ".venv").exists():
            assert (ROOT / tool).is_file(), f"{hook['id']}: {tool} is not installed"


def test_pre_commit_accepts_the_config() -> None:
    """pre-commit itself (a test extra) validates the file."""
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(CONFIG)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
