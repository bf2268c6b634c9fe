"""deploy/k8s validates against the Kubernetes API schema, without a cluster.

Each manifest is checked field by field against the official client's models
(openapi_types / attribute_map: unknown keys and wrong types fail), then
deserialized by the client, which rejects missing required fields. Commands must be
the ones ainative.runtime.processes builds, so the cluster runs what the tests run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.deploy_util import expected_commands

client = pytest.importorskip("kubernetes.client")

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
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
        if path.name == "z2jh-values.yaml":
            continue
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
    values = yaml.safe_load((K8S / "z2jh-values.yaml").read_text())
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
