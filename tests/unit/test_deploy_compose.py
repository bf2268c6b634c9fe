"""docker-compose.yml validates against the Compose specification's JSON schema and runs,
service by service, the commands of ainative.runtime.processes; its modules exist.

The schema is compose_spec.json as shipped in the docker-compose 1.29.2 wheel on PyPI
(compose/config/compose_spec.json), kept in tests/unit/schemas.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.unit.deploy_util import BASE_IMAGE, expected_commands, inside, local_file

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
PLATFORM_SERVICES = ("api", "worker", "beat", "flower", "hub", "console")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_matches_the_compose_schema(compose: dict) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_compose_runs_the_whole_stack(compose: dict) -> None:
    services = compose["services"]
    for name in ("postgres", "redis", "migrate", *PLATFORM_SERVICES, "prometheus", "grafana"):
        assert name in services, name
    assert "nginx" in services
    published = {n for n, s in services.items() if s.get("ports")}
    assert published == {"nginx"}, "only the TLS front publishes ports"
    for name in PLATFORM_SERVICES:
        assert services[name]["env_file"] == ".env", name
        assert "healthcheck" in services[name] or name == "hub", name


def test_redis_evicts_only_keys_with_ttl_and_persists(compose: dict) -> None:
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "volatile-lru"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in compose["services"]["redis"]["volumes"])


def test_services_run_the_launchers_commands(compose: dict) -> None:
    beat = compose["services"]["beat"]["command"]
    expected = expected_commands(beat_schedule=beat[beat.index("--schedule") + 1])

    # API_WORKERS, WORKER_CONCURRENCY and TUTOR_QUEUE from .env, defaults as the launcher's.
    def default(arg: str) -> str:
        return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", arg)

    for name in PLATFORM_SERVICES:
        assert [default(a) for a in compose["services"][name]["command"]] == expected[name], name
    worker_env = compose["services"]["worker"]["environment"]
    assert (
        default(worker_env["WORKER_CONCURRENCY"])
        == expected["worker"][expected["worker"].index("--concurrency") + 1]
    )


def test_settings_reach_the_commands_and_logs_rotate(compose: dict) -> None:
    assert "${API_WORKERS:-" in " ".join(compose["services"]["api"]["command"])
    worker = " ".join(compose["services"]["worker"]["command"])
    assert "${WORKER_CONCURRENCY:-" in worker and "${TUTOR_QUEUE:-" in worker
    for name, service in compose["services"].items():
        assert service["logging"]["options"]["max-size"], name


def test_commands_name_modules_that_exist(compose: dict) -> None:
    for name in PLATFORM_SERVICES:
        argv = compose["services"][name]["command"]
        assert argv[:2] == ["python", "-m"], name
        assert importlib.util.find_spec(argv[2]) is not None, argv[2]
        if "-A" in argv:
            assert importlib.util.find_spec(argv[argv.index("-A") + 1]) is not None
        if argv[2] == "uvicorn":
            module, _, attr = argv[3].partition(":")
            assert importlib.util.find_spec(module) is not None and attr
        for arg in argv:
            if "/site-packages/" in arg:
                assert local_file(arg.split("=")[-1]).is_file(), arg
    assert compose["services"]["migrate"]["command"][0] == "ainative"


def test_secrets_come_from_an_uncommitted_env_file(compose: dict) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert not re.search(r"(PASSWORD|SECRET|KEY|AUTH)\w*:\s+['\"]?[A-Za-z0-9+/_-]{12,}", text)
    documented = (ROOT / ".env.example").read_text()
    for var in set(re.findall(r"\$\{(\w+)", text)):
        assert re.search(rf"^#?\s*{var}=", documented, re.M), f"{var} not in .env.example"


def test_env_example_names_every_secret_the_cli_generates() -> None:
    from ainative.commands.secrets import fresh_secrets

    documented = (ROOT / ".env.example").read_text()
    for name in fresh_secrets():
        assert re.search(rf"^{name}=$", documented, re.M), f"{name} must be in .env.example, empty"


@pytest.mark.parametrize("name,process", [("Dockerfile", "api"), ("Dockerfile.hub", "hub")])
def test_images_install_the_package_and_run_the_launchers_command(name: str, process: str) -> None:
    """Non-editable, like any user's install: package data, not a checkout, is what runs."""
    text = (ROOT / "deploy" / "docker" / name).read_text()
    # FROM an ARG whose default is the official image (compose-test passes a stand-in).
    assert re.findall(r"^FROM (\S+)", text, re.M)[0] == "${BASE_IMAGE}"
    assert re.findall(r"^ARG BASE_IMAGE=(\S+)", text, re.M) == [BASE_IMAGE], "site-packages"
    installs = re.findall(r"pip install [^&\n]*", text)
    assert installs and all(" -e " not in f"{i} " for i in installs), installs
    (cmd,) = re.findall(r"^CMD (.+)$", text, re.M)
    expected = expected_commands(beat_schedule="-")[process]
    assert json.loads(cmd) == expected


def test_container_paths_name_package_files() -> None:
    from ainative import resources

    for path in (resources.hub_config(), resources.flower_config(), resources.starter_notebook()):
        assert local_file(inside([str(path)])[0]) == path


def test_images_run_as_non_root_with_healthchecks() -> None:
    for name in ("Dockerfile", "Dockerfile.hub"):
        text = (ROOT / "deploy" / "docker" / name).read_text()
        users = re.findall(r"^USER\s+(\S+)", text, re.M)
        assert users and users[-1].split(":")[0] not in ("root", "0"), name
        assert re.search(r"^HEALTHCHECK ", text, re.M), name
