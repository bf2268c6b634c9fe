"""deploy/prometheus runs on a real Prometheus against the local stack.

The committed configuration is checked by promtool (beside a token file, as compose
mounts the secret), then started on loopback with
its targets rewritten to the stack's processes (API, a worker with its metrics
port, Flower; the hub's endpoint is checked in tests/e2e/test_hub_metrics.py), sending
the monitoring token from its file as in production. Every
target must be up, every alert rule must evaluate without error, and every metric
name used by the alerts and the Grafana dashboard must exist in what was scraped.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from ainative.runtime.devservices import free_port
from tests.conftest import TEST_ENV
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


TOKEN_FILE = "/prometheus/secrets/metrics_token"  # where compose writes METRICS_TOKEN


def config_text(folder: Path) -> str:
    """deploy/prometheus/prometheus.yml reading the token from `folder`'s secrets/."""
    text = (PROM_DIR / "prometheus.yml").read_text()
    assert TOKEN_FILE in text, "every job reads the token compose writes"
    return text.replace(TOKEN_FILE, str(folder / "secrets" / "metrics_token"))


def place_token_file(folder: Path) -> Path:
    """secrets/metrics_token in `folder`, as compose writes METRICS_TOKEN for Prometheus."""
    token = folder / "secrets" / "metrics_token"
    token.parent.mkdir(parents=True, exist_ok=True)
    token.write_text(TEST_ENV["METRICS_TOKEN"] + "\n")
    return token


def test_promtool_accepts_config_and_rules(tmp_path: Path) -> None:
    promtool = _tool("promtool")
    (tmp_path / "prometheus.yml").write_text(config_text(tmp_path))
    shutil.copy(PROM_DIR / "alerts.yml", tmp_path / "alerts.yml")
    # promtool refuses a config whose token file is missing: the secret must be mounted.
    missing = subprocess.run(
        [promtool, "check", "config", "prometheus.yml"], cwd=tmp_path, capture_output=True
    )
    assert missing.returncode != 0 and b"secrets/metrics_token" in missing.stdout + missing.stderr
    place_token_file(tmp_path)
    for args in (["check", "config", "prometheus.yml"], ["check", "rules", "alerts.yml"]):
        r = subprocess.run([promtool, *args], cwd=tmp_path, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr


def test_amtool_accepts_the_alertmanager_config_as_compose_writes_it(tmp_path: Path) -> None:
    """The placeholder filled by compose's own entry point command: a valid config whose
    route ends at the webhook from .env (alerts that reach someone)."""
    amtool = shutil.which("amtool")
    if amtool is None:
        pytest.skip(
            "amtool not installed (Debian package 'prometheus-alertmanager'; .ci/run installs it)"
        )
    template = (REPO_ROOT / "deploy" / "alertmanager" / "alertmanager.yml").read_text()
    assert template.count("@ALERT_WEBHOOK_URL@") == 1
    url = "https://chat.example.org/hooks/x?token=a&b=c|d"  # &, ? and | survive the fill
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    fill = compose["services"]["alertmanager"]["entrypoint"][2].replace("$$", "$")
    fill = fill.split(" && exec ")[0]  # the fill, without starting Alertmanager
    fill = fill.replace("/etc/alertmanager/alertmanager.yml.in", "template.yml")
    fill = fill.replace("/alertmanager/alertmanager.yml", "alertmanager.yml")
    (tmp_path / "template.yml").write_text(template)
    done = subprocess.run(
        ["sh", "-c", fill], cwd=tmp_path, env={"ALERT_WEBHOOK_URL": url, "PATH": "/usr/bin:/bin"}
    )
    assert done.returncode == 0
    r = subprocess.run(
        [amtool, "check-config", "alertmanager.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    config = yaml.safe_load((tmp_path / "alertmanager.yml").read_text())
    receiver = config["route"]["receiver"]
    hooks = [h for r in config["receivers"] if r["name"] == receiver for h in r["webhook_configs"]]
    assert [h["url"] for h in hooks] == [url]
    prometheus = yaml.safe_load((PROM_DIR / "prometheus.yml").read_text())
    targets = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["alertmanager:9093"]


def local_config(
    tmp: Path, port: int, targets: dict[str, tuple[str, str | None]]
) -> tuple[Path, set[str]]:
    """deploy/prometheus/prometheus.yml with each job pointed at a loopback target."""
    config = yaml.safe_load(config_text(tmp))
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
    place_token_file(tmp)
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path, jobs


def test_prometheus_scrapes_every_target_and_knows_every_metric_used(
    stack: Stack, api, make_user, tmp_path: Path
) -> None:
    prometheus = _tool("prometheus")
    worker_url = start_metrics_worker(stack, "promw")
    flower, flower_url = start_flower(
        stack.env, stack.log_dir / "prom-flower.log", prefix="services/flower"
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
            scraped = datetime.now(UTC)
            rules = _wait_rules_evaluated(base, after=scraped)
            assert len(rules) == 9 and all(r["health"] == "ok" for r in rules), rules
            # A healthy stack raises no alarm: a rule that matches a process which never
            # sets its metric (a gauge left at 0) would page someone for nothing.
            alarms = {r["name"]: r["alerts"] for r in rules if r["state"] != "inactive"}
            assert not alarms, alarms
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


def _wait_rules_evaluated(base: str, after: datetime) -> list[dict]:
    """The rules once each has been evaluated later than `after` (on scraped data)."""

    def rules() -> list[dict]:
        groups = httpx.get(f"{base}/api/v1/rules").json()["data"]["groups"]
        return [r for g in groups for r in g["rules"]]

    def at(rule: dict) -> datetime | None:
        stamp = rule.get("lastEvaluation", "")
        if not stamp.startswith("20"):
            return None
        return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", stamp))

    def evaluated() -> bool:
        found = rules()
        return bool(found) and all(
            (when := at(r)) is not None and when > after and r["health"] != "unknown" for r in found
        )

    eventually(evaluated, 60, interval=0.5)
    return rules()
