"""JupyterHub's own metrics: Prometheus's job reads them with the monitoring token,
nobody else reads them at all (issue 20, finding 9: students reach the hub).

jupyterhub_config.py sets c.JupyterHub.authenticate_prometheus = True and registers the
token (METRICS_TOKEN) as the service `prometheus` with the one scope read:metrics.
"""

from __future__ import annotations

import base64

import httpx
import yaml

from tests.integration.opsutil import METRICS_HEADERS
from tests.stack import REPO_ROOT


def _job() -> dict:
    config = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    return next(j for j in config["scrape_configs"] if j["job_name"] == "jupyterhub")


def test_hub_metrics_answer_prometheus_job(hub) -> None:
    job = _job()
    assert job["authorization"]["type"] == "Bearer" and job["authorization"]["credentials_file"]
    r = httpx.get(hub.url + job["metrics_path"], headers=METRICS_HEADERS, timeout=10)
    assert r.status_code == 200, f"/hub/metrics answered {r.status_code} to the token"
    assert "jupyterhub_" in r.text


def test_attack_student_reads_the_hubs_metrics(hub, make_user) -> None:
    """A student logged into the hub, with their hub API token, their platform access
    token, a cookie session or nothing: 403 and no figure."""
    student = make_user()
    session = hub.session(student.username, student.password)
    hub_token = hub.api_token(session, student.username)
    attempts = {
        "nothing": {},
        "hub API token": {"Authorization": f"token {hub_token}"},
        "platform access token": student.headers,
        "basic": {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()},
        "wrong bearer": {"Authorization": "Bearer " + "0" * 43},
    }
    path = _job()["metrics_path"]
    for name, headers in attempts.items():
        r = httpx.get(hub.url + path, headers=headers, timeout=10)
        assert r.status_code == 403, (name, r.status_code)
        assert "jupyterhub_" not in r.text, name
    r = session.get(path)
    assert r.status_code == 403 and "jupyterhub_" not in r.text, "the student's cookie session"
    session.close()
