"""JupyterHub's own metrics are scrapable the way deploy/prometheus scrapes them.

Prometheus's `jupyterhub` job GETs /hub/metrics without credentials (nginx keeps
the path off the public side), so the hub must set
c.JupyterHub.authenticate_prometheus = False.
"""

from __future__ import annotations

import httpx
import yaml

from tests.stack import REPO_ROOT


def test_hub_metrics_answer_prometheus_job(hub) -> None:
    config = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "jupyterhub")
    r = httpx.get(hub.url + job["metrics_path"], timeout=10)
    assert r.status_code == 200, (
        f"/hub/metrics answered {r.status_code}: set c.JupyterHub.authenticate_prometheus = False"
    )
    assert "jupyterhub_" in r.text
