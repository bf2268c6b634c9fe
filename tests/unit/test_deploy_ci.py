"""The users' CI runs the same script as the project's CI and builds both images."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_workflow_runs_ci_script_on_push_and_pr_and_builds_images() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert {"push", "pull_request"} <= set(triggers)
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    assert any(s.get("run", "").strip() == "bash .ci/run" for s in steps)
    files = {s.get("with", {}).get("file") for s in steps}
    assert {"deploy/docker/Dockerfile", "deploy/docker/Dockerfile.hub"} <= files
    assert all((ROOT / f).is_file() for f in files if f)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
