"""deploy/k8s validates against the Kubernetes API schema, without a cluster.

Each manifest is checked field by field against the official client's models
(openapi_types / attribute_map: unknown keys and wrong types fail), then
deserialized by the client, which rejects missing required fields. Commands must be
the ones ainative.runtime.processes builds, so the cluster runs what the tests run.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.deploy_util import expected_commands

client = pytest.importorskip("kubernetes.client")

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
VALUES = ROOT / "deploy" / "jupyterhub" / "values.yaml"
MODELS = {
    ("apps/v1", "Deployment"): "V1Deployment",
    ("v1", "Service"): "V1Service",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("batch/v1", "Job"): "V1Job",
    ("networking.k8s.io/v1", "Ingress"): "V1Ingress",
    ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
    ("networking.k8s.io/v1", "NetworkPolicy"): "V1NetworkPolicy",
}
CRDS = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("projectcalico.org/v3", "IPPool"),
}


def documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def check(data: Any, type_name: str, where: str) -> list[str]:
    """Problems of `data` against the client model type `type_name` (recursive)."""
    if type_name.startswith("list["):
        if not isinstance(data, list):
            return [f"{where}: expected a list"]
        return [
            p for i, item in enumerate(data) for p in check(item, type_name[5:-1], f"{where}[{i}]")
        ]
    if type_name.startswith(("dict(", "dict[")):
        inner = type_name[5:-1].split(", ", 1)[1]
        if not isinstance(data, dict):
            return [f"{where}: expected a mapping"]
        return [p for k, v in data.items() for p in check(v, inner, f"{where}.{k}")]
    simple = {"str": str, "int": int, "bool": bool, "float": (int, float)}
    if type_name in simple:
        ok = isinstance(data, simple[type_name]) and not (type_name == "int" and data is True)
        return [] if ok else [f"{where}: expected {type_name}, got {data!r}"]
    if type_name in ("object", "datetime", "date"):
        return []
    model = getattr(client, type_name)
    if not isinstance(data, dict):
        return [f"{where}: expected a {type_name} mapping"]
    by_json = {json_name: attr for attr, json_name in model.attribute_map.items()}
    problems = []
    for key, value in data.items():
        if key not in by_json:
            problems.append(f"{where}: unknown field {key!r} for {type_name}")
        else:
            problems += check(value, model.openapi_types[by_json[key]], f"{where}.{key}")
    return problems


def core_documents() -> list[tuple[str, dict[str, Any]]]:
    """Everything but KEDA's custom resources (test_keda_scales_workers_on_queue_length)."""
    return [(n, d) for n, d in documents() if (d.get("apiVersion"), d.get("kind")) not in CRDS]


@pytest.mark.parametrize(
    "name,doc", core_documents(), ids=lambda v: v if isinstance(v, str) else v.get("kind", "?")
)
def test_manifest_matches_kubernetes_schema(name: str, doc: dict[str, Any]) -> None:
    key = (doc.get("apiVersion"), doc.get("kind"))
    assert key in MODELS, f"{name}: unexpected kind {key}"
    model = MODELS[key]
    assert check(doc, model, f"{name}:{doc['kind']}") == []
    client.ApiClient()._ApiClient__deserialize(doc, model)  # required fields, enums


def _workloads() -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"]: d for _, d in documents() if d.get("kind") in ("Deployment", "Job")
    }


def test_workloads_have_probes_resources_and_run_non_root() -> None:
    for name, doc in _workloads().items():
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert {"requests", "limits"} <= set(container["resources"]), name
            if doc["kind"] == "Deployment":
                assert "livenessProbe" in container, name
            if name in ("ainative-api", "ainative-flower"):
                assert "readinessProbe" in container, name


def test_containers_run_the_launchers_commands() -> None:
    expected = expected_commands(beat_schedule="/data/celerybeat-schedule")
    workloads = _workloads()
    for service, name in (
        ("api", "ainative-api"),
        ("worker", "ainative-worker"),
        ("beat", "ainative-beat"),
        ("flower", "ainative-flower"),
    ):
        container = workloads[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == expected[service], name


def test_keda_scales_workers_on_queue_length() -> None:
    docs = {d["kind"]: d for _, d in documents() if (d["apiVersion"], d["kind"]) in CRDS}
    scaled = docs["ScaledObject"]["spec"]
    assert scaled["scaleTargetRef"]["name"] in _workloads()
    assert 1 <= scaled["minReplicaCount"] < scaled["maxReplicaCount"]
    (trigger,) = scaled["triggers"]
    assert trigger["type"] == "redis"
    config = next(d for _, d in documents() if d["kind"] == "ConfigMap")["data"]
    assert trigger["metadata"]["listName"] == config["TUTOR_QUEUE"]
    assert int(trigger["metadata"]["listLength"]) > 0
    assert trigger["metadata"]["addressFromEnv"] in config
    assert trigger["authenticationRef"]["name"] == docs["TriggerAuthentication"]["metadata"]["name"]


def test_z2jh_values_install_the_projects_authenticator() -> None:
    values = yaml.safe_load(VALUES.read_text())
    hub = values["hub"]
    assert hub["config"]["JupyterHub"]["authenticator_class"] == "ainative"
    assert hub["config"]["JupyterHub"]["authenticate_prometheus"] is True
    assert "ainative-hub" in hub["image"]["name"]
    assert hub["services"]["flower"]["url"].startswith("http://ainative-flower:")
    secret_refs = {
        k for k, v in hub["extraEnv"].items() if isinstance(v, dict) and "valueFrom" in v
    }
    assert {
        "DATABASE_URL",
        "JWT_SECRET_KEY",
        "JUPYTERHUB_CRYPT_KEY",
        "METRICS_TOKEN",
        "FLOWER_HUB_TOKEN",
    } <= secret_refs
    assert values["ingress"]["tls"], "TLS terminates at the ingress"


# --- the Secret, KEDA's Redis user and the alerts' labels ---

README = ROOT / "README.md"
REDIS_VALUES = ROOT / "deploy" / "redis" / "values.yaml"


def readme_secret_keys(name: str) -> dict[str, str]:
    """KEY -> value template of the README's `kubectl create secret generic <name>`."""
    text = README.read_text()
    start = text.index(f"kubectl create secret generic {name} ")
    lines = text[start:].splitlines()
    end = next(i for i, line in enumerate(lines) if not line.rstrip().endswith("\\"))
    command = "\n".join(lines[: end + 1])
    pairs = re.findall(r'--from-literal=([\w.-]+)=("[^"]*"|\S+)', command)
    assert pairs, name
    return {key: value.strip('"') for key, value in pairs}


def fill(template: str) -> str:
    """A README value with each $VARIABLE (from .env) replaced by a fresh secret."""
    return re.sub(r"\$(\w+)", lambda _: secrets.token_urlsafe(24), template)


def secret_refs() -> set[str]:
    """Every key of ainative-secrets that a manifest or the hub's values name."""

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            ref = node.get("secretKeyRef")
            if isinstance(ref, dict) and ref.get("name") == "ainative-secrets":
                yield ref["key"]
            if node.get("name") == "ainative-secrets" and "parameter" in node:
                yield node["key"]  # KEDA's secretTargetRef
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    keys = {k for _, doc in documents() for k in walk(doc)}
    return keys | set(walk(yaml.safe_load(VALUES.read_text())))


def test_readme_secret_holds_every_key_the_manifests_read() -> None:
    keys = set(readme_secret_keys("ainative-secrets"))
    assert secret_refs() <= keys, secret_refs() - keys
    documented = (K8S / "config.yaml").read_text()
    for key in keys:
        assert key in documented, f"config.yaml's comment should name {key}"


PROCESS_COMPONENTS: dict[str, tuple[Any, ...]] = {
    "ainative-api": (),
    "ainative-worker": (),
    "ainative-beat": (),
    "ainative-flower": ("flower",),
    "ainative-console": ("console",),
    "ainative-migrate": (),
}


@pytest.mark.parametrize("workload", sorted(PROCESS_COMPONENTS))
def test_each_pod_passes_its_production_checks_with_the_readme_secret(
    workload: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment a pod gets (ConfigMap, Secret, its own env) starts it in production."""
    from ainative.config import Settings

    secret = {key: fill(value) for key, value in readme_secret_keys("ainative-secrets").items()}
    config = next(d for _, d in documents() if d["kind"] == "ConfigMap")["data"]
    (container,) = _workloads()[workload]["spec"]["template"]["spec"]["containers"]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config)
        if "secretRef" in source:
            env.update(secret)
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            # the chart's Secret `hub` holds generated service tokens
            env[var["name"]] = (
                secret[ref["key"]] if ref["name"] == "ainative-secrets" else (secrets.token_hex(32))
            )
    for name in list(os.environ):
        if name in Settings.model_fields or name.lower() in Settings.model_fields:
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.environment == "production"
    assert settings.production_problems(*PROCESS_COMPONENTS[workload]) == []


def acl_users() -> dict[str, dict[str, str]]:
    users = yaml.safe_load(REDIS_VALUES.read_text())["auth"]["acl"]["users"]
    return {u["username"]: u for u in users}


def test_keda_reads_the_queue_as_the_redis_user_that_may_read_it() -> None:
    docs = {d["kind"]: d for _, d in documents() if (d["apiVersion"], d["kind"]) in CRDS}
    params = {
        p["parameter"]: p["key"] for p in docs["TriggerAuthentication"]["spec"]["secretTargetRef"]
    }
    assert set(params) == {"username", "password"}
    secret = readme_secret_keys("ainative-secrets")
    user = secret[params["username"]]
    assert secret[params["password"]] == f"${params['password']}"
    (trigger,) = docs["ScaledObject"]["spec"]["triggers"]
    queue = trigger["metadata"]["listName"]
    rules = acl_users()[user]
    assert rules["enabled"] == "on"
    # reads that list only (read-only key pattern), and no command but LLEN beyond connecting
    assert rules["keys"].split() == [f"%R~{queue}"]
    commands = rules["commands"].split()
    assert commands[0] == "-@all" and "+llen" in commands
    assert not [c for c in commands[1:] if c.startswith("+") and c not in ("+@connection", "+llen")]
    # the users' passwords come from the Secret ainative-redis-users, one key per user
    users_secret = readme_secret_keys("ainative-redis-users")
    assert set(users_secret) == set(acl_users())
    assert yaml.safe_load(REDIS_VALUES.read_text())["auth"]["acl"]["userSecret"] == (
        "ainative-redis-users"
    )
    assert users_secret[user] == secret[params["password"]]


def test_redis_users_on_kubernetes_are_composes() -> None:
    """api, worker and hub have the rules docker-compose.yml gives them."""
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["redis"][
        "command"
    ]
    compose: dict[str, set[str]] = {}
    current = ""
    for i, word in enumerate(command):
        if command[i - 1] == "--user":
            current = word
            compose[current] = set()
        elif word.startswith("--"):
            current = ""
        elif current and word != "on" and not word.startswith(">"):
            compose[current].add(word)
    compose.pop("default")
    for name, rules in compose.items():
        user = acl_users()[name]
        ours = set(f"{user['keys']} {user['channels']} {user['commands']}".split())
        ours.discard("resetchannels")  # Redis 7's default for a user without channel rules
        assert ours == rules, name
    # the URLs the pods use name these users
    secret = readme_secret_keys("ainative-secrets")
    users = {"REDIS_URL": "api", "WORKER_REDIS_URL": "worker", "HUB_REDIS_URL": "hub"}
    for key, user in users.items():
        assert secret[key].startswith(f"redis://{user}:"), key


def scrape_jobs() -> set[str]:
    """The `job` labels deploy/k8s/prometheus.yaml's scrape config gives the pods of
    deploy/k8s (relabelling applied to each annotated pod's metadata) and its static jobs."""
    (doc,) = [d for _, d in documents() if d["metadata"]["name"] == "ainative-prometheus-scrape"]
    configs = yaml.safe_load(doc["data"]["scrape.yml"])
    jobs = set()
    for config in configs:
        if "kubernetes_sd_configs" not in config:
            jobs.add(config["job_name"])
            continue
        for _, workload in _workloads().items():
            meta = workload["spec"]["template"]["metadata"]
            labels = {
                "job": config["job_name"],
                "__address__": "10.0.0.1:80",
                **{
                    "__meta_kubernetes_pod_label_" + re.sub(r"[^a-z0-9]", "_", k): v
                    for k, v in meta.get("labels", {}).items()
                },
                **{
                    "__meta_kubernetes_pod_annotation_" + re.sub(r"[^a-z0-9]", "_", k): v
                    for k, v in meta.get("annotations", {}).items()
                },
            }
            kept = True
            for rule in config["relabel_configs"]:
                value = ";".join(labels.get(s, "") for s in rule["source_labels"])
                match = re.fullmatch(rule.get("regex", "(.*)"), value)
                if rule.get("action") == "keep":
                    kept = kept and bool(match)
                elif match:
                    labels[rule["target_label"]] = match.expand(
                        rule.get("replacement", "$1").replace("$", "\\")
                    )
            if kept:
                jobs.add(labels["job"])
    return jobs


def test_alert_rules_match_the_jobs_kubernetes_scrapes_produce() -> None:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    jobs = scrape_jobs()
    assert {"ainative-api", "ainative-worker", "flower", "jupyterhub"} <= jobs
    named = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            for op, value in re.findall(r'job(=~|=)"([^"]+)"', rule["expr"]):
                names = value.split("|") if op == "=~" else [value]
                named |= set(names)
                assert set(names) <= jobs, (rule["alert"], set(names) - jobs)
    assert named, "the rules name jobs"
