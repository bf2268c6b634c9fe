"""Deployments isolate students' servers (issue 11, finding 1): read from the files themselves.

compose: DockerSpawner containers on a `students` network holding only the hub and the API;
Redis and PostgreSQL on `backend` only; Redis refuses clients without a password (ACL user
per role) and every service's REDIS_URL carries one. Kubernetes: students' pods may not
reach private addresses, and Redis/PostgreSQL admit only the platform's pods and the hub.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
VALUES = ROOT / "deploy" / "jupyterhub" / "values.yaml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def resolved(value: str) -> str:
    """${VAR:?message} and ${VAR:-default} replaced by a stand-in, as compose would."""
    return re.sub(r"\$\{(\w+)[^}]*\}", lambda m: f"<{m.group(1).lower()}>", value)


def test_students_network_holds_only_the_hub_and_the_api(compose: dict) -> None:
    on_students = {n for n, s in compose["services"].items() if "students" in s.get("networks", [])}
    assert on_students == {"hub", "api"}
    for name in ("redis", "postgres"):
        assert compose["services"][name]["networks"] == ["backend"], name
    students = compose["networks"]["students"]
    assert students["internal"] is True
    hub_env = compose["services"]["hub"]["environment"]
    assert hub_env["HUB_SPAWNER"] == "docker"
    assert hub_env["HUB_DOCKER_NETWORK"] == students["name"]


def test_redis_refuses_clients_without_a_password(compose: dict) -> None:
    command = compose["services"]["redis"]["command"]
    # Each word of a rule is its own argument (Redis 7 quotes each argument as one token).
    starts = [i for i, arg in enumerate(command) if arg == "--user"]
    ends = starts[1:] + [next(i for i, a in enumerate(command) if a == "--appendonly")]
    users = [" ".join(command[a + 1 : b]) for a, b in zip(starts, ends, strict=True)]
    assert "default off" in users
    for role in ("api", "worker", "hub"):
        (rule,) = [u for u in users if u.startswith(f"{role} on ")]
        assert f">${{REDIS_{role.upper()}_PASSWORD:?" in rule, rule


def test_every_service_reaches_redis_with_its_own_password(compose: dict) -> None:
    for name in ("api", "worker", "beat", "flower", "hub", "migrate"):
        service = compose["services"][name]
        url = urlsplit(resolved(service["environment"]["REDIS_URL"]))
        assert url.password and url.password.startswith("<redis_"), name
    users = {
        name: urlsplit(resolved(compose["services"][name]["environment"]["REDIS_URL"])).username
        for name in ("api", "worker", "hub")
    }
    assert users == {"api": "api", "worker": "worker", "hub": "hub"}


def test_the_hub_image_installs_the_docker_spawner() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(d.startswith("dockerspawner") for d in extras["deploy"])
    # the hub image installs its lock, resolved with the deploy extra (test_dependency_locks)
    assert "-r hub.lock" in (ROOT / "deploy" / "docker" / "Dockerfile.hub").read_text()
    lock = (ROOT / "deploy" / "requirements" / "hub.lock").read_text()
    assert re.search(r"^dockerspawner==", lock, re.M)


def test_kubernetes_students_reach_no_private_address() -> None:
    values = yaml.safe_load(VALUES.read_text())
    assert values["hub"]["extraEnv"]["HUB_SPAWNER"] == "kubernetes"
    policy = values["singleuser"]["networkPolicy"]
    assert policy["enabled"] is True
    rules = policy["egressAllowRules"]
    assert rules["privateIPs"] is False and rules["cloudMetadataServer"] is False
    allowed = [to["podSelector"]["matchLabels"] for rule in policy["egress"] for to in rule["to"]]
    # The API only through the ingress controller (issue 20, finding 4).
    assert allowed == [{"app.kubernetes.io/name": "ingress-nginx"}]


def test_kubernetes_redis_and_postgres_admit_no_student_pod() -> None:
    docs = list(yaml.safe_load_all((K8S / "networkpolicies.yaml").read_text()))
    guarded = {d["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for d in docs}
    assert guarded == {"redis", "postgresql", "ainative-api"}
    for doc in docs:
        for rule in doc["spec"]["ingress"]:
            for peer in rule["from"]:
                labels = (peer.get("podSelector") or {}).get("matchLabels", {})
                assert labels.get("component") != "singleuser-server"
                assert labels in (
                    {"app.kubernetes.io/part-of": "ainative"},
                    {"app": "jupyterhub", "component": "hub"},
                    {"app.kubernetes.io/name": "ingress-nginx"},
                    {},
                ), labels


def test_production_gives_each_server_its_own_origin(compose: dict) -> None:
    """Finding 3: compose and the chart set subdomain_host, with a wildcard host routed."""
    assert compose["services"]["hub"]["environment"]["HUB_SUBDOMAIN_HOST"].startswith("${")
    values = yaml.safe_load(VALUES.read_text())
    host = values["hub"]["config"]["JupyterHub"]["subdomain_host"]
    assert host.startswith("https://")
    assert values["hub"]["extraEnv"]["HUB_SUBDOMAIN_HOST"] == host
    domain = urlsplit(host).hostname
    assert f"*.{domain}" in values["ingress"]["hosts"]
    assert f"*.{domain}" in values["ingress"]["tls"][0]["hosts"]
    config = (ROOT / "jupyterhub_config.py").read_text()
    assert "c.JupyterHub.subdomain_host = settings.hub_subdomain_host" in config
