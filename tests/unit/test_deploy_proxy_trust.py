"""Who may name the client in X-Forwarded-For on Kubernetes (issue 20, finding 4).

These tests check the configuration in deploy/k8s (no cluster runs here): the attack
needs a student's pod inside TRUSTED_PROXIES, or a path from it straight to the API,
or a hub that trusts nobody (every login then counts against its proxy pod).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
VALUES = ROOT / "deploy" / "jupyterhub" / "values.yaml"
POD_NETWORK = ipaddress.ip_network("10.244.0.0/16")  # the pod network students' pods get
LOOPBACK = {ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")}


def docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def trusted(value: str) -> set[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return {ipaddress.ip_network(p.strip(), strict=False) for p in value.split(",")}


def edge_pool() -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    (pool,) = docs("edge-ippool.yaml")
    assert pool["spec"]["assignmentMode"] == "Manual"  # no student pod gets it by default
    return ipaddress.ip_network(pool["spec"]["cidr"])


def test_attack_student_pod_forging_x_forwarded_for_is_not_trusted() -> None:
    """Checks the configuration: the API and the hub trust loopback and the edge pool
    only, and the edge pool shares no address with the students' pod network."""
    (config,) = [d for d in docs("config.yaml") if d["kind"] == "ConfigMap"]
    values = yaml.safe_load(VALUES.read_text())
    hub_trust = values["hub"]["extraEnv"].get("TRUSTED_PROXIES", "")
    assert hub_trust, "the hub has no TRUSTED_PROXIES: every login counts against its proxy"
    pool = edge_pool()
    for who, value in (("api", config["data"]["TRUSTED_PROXIES"]), ("hub", hub_trust)):
        assert trusted(value) == LOOPBACK | {pool}, (who, value)
        assert not any(n.overlaps(POD_NETWORK) for n in trusted(value) - LOOPBACK), who
    # The proxies are the pods that ask for the edge pool: the hub's proxy (and, by the
    # namespace annotation in edge-ippool.yaml's comment, the ingress controller).
    assert '"ainative-edge"' in values["proxy"]["annotations"]["cni.projectcalico.org/ipv4pools"]


def test_attack_student_pod_reaches_the_api_only_through_the_ingress() -> None:
    """Checks the configuration: students' pods may not connect to the API's pods, their
    API URL is the ingress, and the API's pods accept the ingress, the hub and Prometheus."""
    values = yaml.safe_load(VALUES.read_text())
    assert "ingress-nginx" in values["hub"]["extraEnv"]["HUB_API_URL"]
    egress = values["singleuser"]["networkPolicy"]["egress"]
    peers = [peer for rule in egress for peer in rule.get("to", [])]
    assert all(
        p.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
        != "ainative-api"
        for p in peers
    ), peers
    (policy,) = [
        d for d in docs("networkpolicies.yaml") if d["metadata"]["name"] == "ainative-api-ingress"
    ]
    sources = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
    assert {"component": "singleuser-server"} not in [
        s.get("podSelector", {}).get("matchLabels") for s in sources
    ]
    assert all(
        "namespaceSelector" in s or s["podSelector"]["matchLabels"].get("component") == "hub"
        for s in sources
    )
    internal = [d for d in docs("api.yaml") if d["metadata"]["name"] == "ainative-api-internal"]
    assert (
        internal
        and internal[0]["spec"]["rules"][0]["host"] in values["hub"]["extraEnv"]["HUB_API_URL"]
    )
