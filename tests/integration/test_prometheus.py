"""deploy/prometheus runs on a real Prometheus against the local stack.

The committed configuration is checked by promtool, then started on loopback with
its targets rewritten to the stack's processes (API, a worker with its metrics
port, Flower; the hub's endpoint is checked in tests/e2e/test_hub_metrics.py). Every
target must be up, every alert rule must evaluate without error, and every metric
name used by the alerts and the Grafana dashboard must exist in what was scraped.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from ainative.runtime.devservices import free_port
from tests.integration.opsutil import start_flower, start_metrics_worker, stop
from tests.stack import REPO_ROOT, Stack
from tests.support.api import ask, unique_prompt, wait_answer
from tests.support.eventually import eventually
from tests.support.platform import wait_http

PROM_DIR = REPO_ROOT / "deploy" / "prometheus"
DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "dashboards" / "ainative-overview.json"
METRIC_NAME = re.compile(r"\b((?:ainative|flower|jupyterhub)_[a-z0-9_]+|up)\b")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (Debian package 'prometheus'; .ci/run installs it)")
    return path


def used_metric_names() -> set[str]:
    """Metric names in the alert rules' and the dashboard's expressions."""
    exprs = [
        rule["expr"]
        for group in yaml.safe_load((PROM_DIR / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    ]
    dashboard = json.loads(DASHBOARD.read_text())
    exprs += [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    names: set[str] = set()
    for expr in exprs:
        names |= set(METRIC_NAME.findall(expr))
    return names


def test_promtool_accepts_config_and_rules() -> None:
    promtool = _tool("promtool")
    for args in (["check", "config", "prometheus.yml"], ["check", "rules", "alerts.yml"]):
        r = subprocess.run([promtool, *args], cwd=PROM_DIR, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr


def local_config(
    tmp: Path, port: int, targets: dict[str, tuple[str, str | None]]
) -> tuple[Path, set[str]]:
    """deploy/prometheus/prometheus.yml with each job pointed at a loopback target."""
    config = yaml.safe_load((PROM_DIR / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    targets = {**targets, "prometheus": (f"127.0.0.1:{port}", None)}
    # The hub's /hub/metrics is checked against the e2e hub (tests/e2e/test_hub_metrics.py).
    config["scrape_configs"] = [
        j for j in config["scrape_configs"] if j["job_name"] != "jupyterhub"
    ]
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert jobs == set(targets), f"jobs {jobs} vs local targets {set(targets)}"
    for job in config["scrape_configs"]:
        job.pop("dns_sd_configs", None)
        address, path = targets[job["job_name"]]
        job["static_configs"] = [{"targets": [address]}]
        if path:
            job["metrics_path"] = path
    shutil.copy(PROM_DIR / "alerts.yml", tmp / "alerts.yml")
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path, jobs


def test_prometheus_scrapes_every_target_and_knows_every_metric_used(
    stack: Stack, api, make_user, tmp_path: Path
) -> None:
    prometheus = _tool("prometheus")
    worker_url = start_metrics_worker(stack, "promw")
    flower, flower_url = start_flower(
        stack.env,
        stack.log_dir / "prom-flower.log",
        f"admin:{secrets.token_urlsafe(12)}",
        prefix="services/flower",
    )
    prom_port = free_port()
    try:
        user = make_user()
        ids = [ask(api, user.headers, unique_prompt("prom")).json()["id"] for _ in range(3)]
        for interaction_id in ids:
            assert wait_answer(api, user.headers, interaction_id)["status"] == "done"
        config, jobs = local_config(
            tmp_path,
            prom_port,
            {
                "ainative-api": (stack.api_url.removeprefix("http://"), None),
                "ainative-worker": (worker_url.split("/")[2], None),
                "flower": (flower_url.split("/")[2], None),
            },
        )
        server = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=open(stack.log_dir / "prometheus.log", "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{prom_port}"
        try:
            wait_http(f"{base}/-/ready", process=server)
            health = _wait_targets_up(base, jobs)
            assert all(h == "up" for h in health.values()), health
            rules = _wait_rules_evaluated(base)
            assert len(rules) == 8 and all(r["health"] == "ok" for r in rules), rules
            names = set(httpx.get(f"{base}/api/v1/label/__name__/values").json()["data"])
            missing = used_metric_names() - names
            assert not missing, f"alerts/dashboard use metrics nobody exports: {missing}"
        finally:
            stop(server)
    finally:
        stop(flower)
        stack.kill("promw")


def _wait_targets_up(base: str, jobs: set[str]) -> dict[str, str]:
    def health() -> dict[str, str]:
        active = httpx.get(f"{base}/api/v1/targets").json()["data"]["activeTargets"]
        return {t["labels"]["job"]: t["health"] for t in active}

    def all_up() -> bool:
        found = health()
        return set(found) == jobs and all(h == "up" for h in found.values())

    eventually(all_up, 30, interval=0.5)
    return health()


def _wait_rules_evaluated(base: str) -> list[dict]:
    def rules() -> list[dict]:
        groups = httpx.get(f"{base}/api/v1/rules").json()["data"]["groups"]
        return [r for g in groups for r in g["rules"]]

    def evaluated() -> bool:
        found = rules()
        return bool(found) and all(
            r.get("lastEvaluation", "").startswith("20") and r["health"] != "unknown" for r in found
        )

    eventually(evaluated, 30, interval=0.5)
    return rules()
