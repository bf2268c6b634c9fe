"""deploy/jupyterhub/values.yaml as Zero to JupyterHub takes it, without a cluster.

Two checks of what `helm upgrade --install hub jupyterhub/jupyterhub -f ...` would do:

- the values against the chart's own values schema (tests/data/z2jh/, vendored with its
  source and commit), as `helm` validates them before rendering;
- the hub configuration loaded the way the chart's jupyterhub_config.py loads it from the
  values it mounts (documented in the schema: `hub.services` and `hub.loadRoles` become
  JupyterHub's lists with the name taken from the key, `hub.config` updates each traitlets
  class's section, `hub.extraConfig` snippets run in the order of their keys with `c` in
  scope), with the hub pod's environment made from `hub.extraEnv`; then JupyterHub resolves
  `authenticator_class` through the `jupyterhub.authenticators` entry point and the
  project's authenticator reads its settings from that configuration and environment.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "deploy" / "jupyterhub" / "values.yaml"
SCHEMA = ROOT / "tests" / "data" / "z2jh" / "values.schema.json"


def values() -> dict[str, Any]:
    loaded = yaml.safe_load(VALUES.read_text())
    assert isinstance(loaded, dict)
    return loaded


def user_values_schema() -> dict[str, Any]:
    """The chart's schema for a user's values file: the `required` lists beside
    `properties` dropped, since the chart's defaults (merged in first) supply those keys;
    conditional (`then`) and `oneOf` requirements stay."""

    def strip(node: Any, conditional: bool = False) -> Any:
        if isinstance(node, list):
            return [strip(item, conditional=True) for item in node]
        if not isinstance(node, dict):
            return node
        return {
            key: strip(value, conditional=conditional or key in ("then", "else", "oneOf"))
            for key, value in node.items()
            if not (key == "required" and "properties" in node and not conditional)
        }

    schema = strip(json.loads(SCHEMA.read_text()))
    jsonschema.Draft7Validator.check_schema(schema)
    return schema


def schema_errors(data: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(user_values_schema())
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)
    ]


def test_values_match_the_charts_schema() -> None:
    assert schema_errors(values()) == []


@pytest.mark.parametrize(
    "path,value",
    [
        (("singleuser", "storage", "homeMountpath"), "/home/jovyan"),  # misspelt key
        (("singleuser", "storage", "type"), "pvc"),  # not an enum value
        (("hub", "image", "pullPolicy"), "Sometimes"),
        (("ingress", "enabled"), "yes"),  # a string, not a boolean
        (("hub", "extraFiles", "config"), {"mountPath": "/etc/x"}),  # no data of any kind
    ],
)
def test_schema_rejects_what_helm_would(path: tuple[str, ...], value: Any) -> None:
    broken = copy.deepcopy(values())
    node = broken
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    assert schema_errors(broken), f"{'.'.join(path)}={value!r} passed the schema"


def test_required_keys_dropped_only_where_the_chart_supplies_them() -> None:
    """imagePullSecret.create=true without credentials fails: `then` keeps its required."""
    broken = copy.deepcopy(values())
    broken["imagePullSecret"] = {"create": True, "registry": "ghcr.io"}
    assert any("username" in e for e in schema_errors(broken))


def test_single_user_storage_is_the_home_at_home_jovyan() -> None:
    singleuser = values()["singleuser"]
    storage = singleuser["storage"]
    assert storage["type"] == "dynamic" and storage["homeMountPath"] == "/home/jovyan"
    assert singleuser["extraEnv"]["HOME"] == storage["homeMountPath"]
    spawner = values()["hub"]["config"]["KubeSpawner"]
    assert spawner["working_dir"] == storage["homeMountPath"]
    # the starter notebook lands in that home, once
    shell, flag, command = singleuser["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert (shell, flag) == ("sh", "-c")
    assert 'test -e "$HOME/tutor.ipynb" ||' in command and '"$HOME/"' in command
    assert singleuser["defaultUrl"] == "/lab/tree/tutor.ipynb"


# --- the hub's configuration, loaded as the chart's jupyterhub_config.py loads it ---


def secret_value(key: str) -> str:
    """A value of the right shape for each key of ainative-secrets the hub reads."""
    token = secrets.token_hex(32)
    return {
        "DATABASE_URL": f"postgresql://ainative:{token}@ainative-postgresql:5432/ainative",
        "HUB_REDIS_URL": f"redis://hub:{token}@ainative-redis-master:6379/0",
    }.get(key, token)


def hub_environment(hub: dict[str, Any]) -> dict[str, str]:
    """The hub pod's environment from hub.extraEnv (literals, and secretKeyRef values)."""
    env = {}
    for name, spec in hub["extraEnv"].items():
        if isinstance(spec, dict):
            ref = spec["valueFrom"]["secretKeyRef"]
            assert ref["name"] == "ainative-secrets", name
            env[name] = secret_value(ref["key"])
        else:
            env[name] = str(spec)
    return env


def load_like_z2jh(chart_values: dict[str, Any]) -> Config:
    """`c` after the chart's jupyterhub_config.py with these values (the parts that touch
    what the values set: services, roles, single-user passthroughs, hub.config, extraConfig)."""
    chart_values = copy.deepcopy(chart_values)
    hub, singleuser = chart_values["hub"], chart_values["singleuser"]
    c = Config()
    c.JupyterHub.services = []
    c.JupyterHub.load_roles = []
    for key, service in hub.get("services", {}).items():
        service.setdefault("name", key)
        service.pop("apiToken", None)
        # the chart generates each service's token (Secret `hub`, hub.services.<key>.apiToken)
        service["api_token"] = secrets.token_hex(32)
        c.JupyterHub.services.append(service)
    for key, role in hub.get("loadRoles", {}).items():
        role.setdefault("name", key)
        c.JupyterHub.load_roles.append(role)
    for trait, key in (("cmd", "cmd"), ("default_url", "defaultUrl")):
        if singleuser.get(key) is not None:
            c.Spawner[trait] = singleuser[key]
    for trait, key in (
        ("uid", "uid"),
        ("fs_gid", "fsGid"),
        ("environment", "extraEnv"),
        ("lifecycle_hooks", "lifecycleHooks"),
    ):
        if singleuser.get(key) is not None:
            c.KubeSpawner[trait] = singleuser[key]
    c.KubeSpawner.volume_mounts = [
        {"mountPath": singleuser["storage"]["homeMountPath"], "name": "volume-{username}"}
    ]
    for section, settings in hub.get("config", {}).items():
        c[section].update(settings)
    for key, snippet in sorted(hub.get("extraConfig", {}).items()):
        exec(compile(snippet, f"hub.extraConfig.{key}", "exec"), {"c": c})  # noqa: S102
    return c


@pytest.fixture
def hub_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    from ainative.config import Settings, get_settings

    env = hub_environment(values()["hub"])
    # The pod has only its own environment: none of this test session's settings
    # (conftest's BCRYPT_ROUNDS=4 would fail the production checks).
    for name in list(os.environ):
        if name.lower() in Settings.model_fields and name not in env:
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def test_hub_config_loads_and_the_authenticator_takes_its_settings(
    hub_env: dict[str, str],
) -> None:
    from jupyterhub.app import JupyterHub

    from ainative.hub.authenticator import AINativeAuthenticator

    chart_values = values()
    c = load_like_z2jh(chart_values)

    (entry_point,) = entry_points(group="jupyterhub.authenticators", name="ainative")
    assert entry_point.load() is AINativeAuthenticator
    app = JupyterHub(config=c)
    assert app.authenticator_class is AINativeAuthenticator
    assert app.subdomain_host == "https://tutor.example.org"
    assert app.authenticate_prometheus is True

    authenticator = AINativeAuthenticator(config=c)
    assert authenticator.auth_refresh_age == 300
    assert authenticator.enable_auth_state is True
    # its defaults come from the hub pod's environment, as on the cluster
    assert authenticator.database_url == hub_env["DATABASE_URL"]
    assert authenticator.redis_url == hub_env["REDIS_URL"]
    assert authenticator.redis_url.startswith("redis://hub:")  # the hub's own ACL user
    assert authenticator.api_url == hub_env["HUB_API_URL"]

    # extraConfig ran: Flower's OAuth client and Prometheus's service, with the pod's tokens
    services = {s["name"]: s for s in c.JupyterHub.services}
    assert set(services) == {"flower", "console", "ainative-api", "prometheus"}
    assert services["flower"]["api_token"] == hub_env["FLOWER_HUB_TOKEN"]
    assert services["flower"]["oauth_client_id"] == "service-flower"
    assert services["ainative-api"]["api_token"] == hub_env["HUB_SERVICE_TOKEN"]
    assert services["prometheus"]["api_token"] == hub_env["METRICS_TOKEN"]
    roles = {r["name"]: (r["scopes"], r["services"]) for r in c.JupyterHub.load_roles}
    assert roles == {
        "ainative-account-removal": (["delete:users"], ["ainative-api"]),
        "prometheus-metrics": (["read:metrics"], ["prometheus"]),
    }
    (templates,) = c.JupyterHub.template_paths
    assert (Path(templates) / "login.html").is_file()
    assert c.Spawner.default_url == chart_values["singleuser"]["defaultUrl"]
    assert c.KubeSpawner.working_dir == c.KubeSpawner.volume_mounts[0]["mountPath"]


def test_extra_config_refuses_an_unsafe_production_hub(
    hub_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chart never runs the repository's jupyterhub_config.py, so its production
    check must run from extraConfig: a hub pod without JUPYTERHUB_CRYPT_KEY does not start."""
    from ainative.config import InsecureConfigurationError, get_settings

    monkeypatch.delenv("JUPYTERHUB_CRYPT_KEY")
    get_settings.cache_clear()
    with pytest.raises(InsecureConfigurationError, match="JUPYTERHUB_CRYPT_KEY"):
        load_like_z2jh(values())


REPO_HUB_CONFIG = """
import json, sys
from traitlets.config.loader import PyFileConfigLoader
c = PyFileConfigLoader("jupyterhub_config.py", path=sys.argv[1]).load_config()
print(json.dumps({
    "services": sorted(s["name"] for s in c.JupyterHub.services),
    "roles": {r["name"]: [r["scopes"], r["services"]] for r in c.JupyterHub.load_roles},
    "authenticator_class": c.JupyterHub.authenticator_class,
    "default_url": c.Spawner.default_url,
}))
"""


def test_chart_hub_registers_what_the_repositorys_hub_config_does(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    """Same services, roles, authenticator and start page as `make run`'s and compose's hub
    (the repository's jupyterhub_config.py, loaded in its own process: it sets the umask)."""
    import subprocess
    import sys

    env = {**os.environ, "ENVIRONMENT": "development", "DATA_DIR": str(tmp_path)}
    env.pop("HUB_SPAWNER", None)
    run = subprocess.run(
        [sys.executable, "-c", REPO_HUB_CONFIG, str(ROOT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    repo = json.loads(run.stdout.strip().splitlines()[-1])
    chart = load_like_z2jh(values())
    assert sorted(s["name"] for s in chart.JupyterHub.services) == repo["services"]
    assert {r["name"]: [r["scopes"], r["services"]] for r in chart.JupyterHub.load_roles} == repo[
        "roles"
    ]
    assert chart.JupyterHub.authenticator_class == repo["authenticator_class"]
    assert chart.Spawner.default_url == repo["default_url"]


def test_extra_config_runs_in_key_order() -> None:
    """The chart runs the snippets sorted by key: a later key sees (and wins over) an
    earlier one, whatever their order in the file."""
    chart_values = values()
    chart_values["hub"]["extraConfig"] = {
        "zz-last": "c.Spawner.default_url = c.Spawner.default_url + '#z'",
        "aa-first": "c.Spawner.default_url = '/lab'",
    }
    assert load_like_z2jh(chart_values).Spawner.default_url == "/lab#z"


def test_entry_point_name_is_what_the_values_name() -> None:
    names = {ep.name for ep in entry_points(group="jupyterhub.authenticators")}
    assert values()["hub"]["config"]["JupyterHub"]["authenticator_class"] in names


# What the chart's own jupyterhub_config.py imports of a custom hub image, by distribution.
CHART_IMPORTS = {
    "jupyterhub-kubespawner": "kubespawner",
    "jupyterhub-idle-culler": "jupyterhub_idle_culler",
    "pycurl": "pycurl",
}


def test_hub_image_lock_pins_what_the_charts_config_imports() -> None:
    """KubeSpawner, pycurl and the culler: the chart's hub fails to start without them."""
    lock = (ROOT / "deploy" / "requirements" / "hub.lock").read_text()
    pinned = {line.split("==")[0] for line in lock.splitlines() if "==" in line}
    assert set(CHART_IMPORTS) <= pinned, set(CHART_IMPORTS) - pinned


@pytest.mark.parametrize("module", sorted(CHART_IMPORTS.values()))
def test_charts_imports_load_from_the_deploy_extra(module: str) -> None:
    """The same pins installed (dev includes deploy) import: no missing system library."""
    __import__(module)
