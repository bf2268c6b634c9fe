"""Settings: names and defaults as documented, and every production refusal naming its setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from ainative.config import (
    DEFAULT_JWT_SECRET,
    InsecureConfigurationError,
    Settings,
)

# A production configuration that passes every rule, for hub and Flower too.
SAFE = {
    "environment": "production",
    "jwt_secret_key": "s" * 40,
    "pseudonym_key": "p" * 40,
    "jupyterhub_crypt_key": "ab" * 32,
    "metrics_token": "m" * 40,
    "flower_hub_token": "f" * 40,
    "bcrypt_rounds": 12,
    "debug": False,
    "allowed_origins": ["https://tutor.example.org"],
    "redis_url": "redis://api:a-redis-password@redis:6379/0",
    "hub_spawner": "local-users",
}


def settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, **{**SAFE, **overrides})


@pytest.mark.parametrize(
    "raw", ["http://a.example,http://b.example", '["http://a.example", "http://b.example"]']
)
def test_allowed_origins_from_the_environment(monkeypatch, raw: str) -> None:
    monkeypatch.setenv("ALLOWED_ORIGINS", raw)
    assert Settings().allowed_origins == ["http://a.example", "http://b.example"]


def test_data_dir_defaults_to_dot_data_in_the_working_directory(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert Settings(_env_file=None).data_dir == tmp_path / ".data"
    monkeypatch.setenv("DATA_DIR", "relative/data")
    assert Settings(_env_file=None).data_dir == tmp_path / "relative" / "data"


def test_development_secret_is_kept_across_restarts(tmp_path: Path) -> None:
    first = Settings(_env_file=None, data_dir=tmp_path).development_secret("k")
    again = Settings(_env_file=None, data_dir=tmp_path).development_secret("k")
    assert len(first) == 64 and again == first
    assert (tmp_path / "secrets" / "k").stat().st_mode & 0o777 == 0o600


def test_development_secret_is_long_enough_for_hs256_but_refused_in_production() -> None:
    assert len(DEFAULT_JWT_SECRET.encode()) >= 32
    problems = Settings(environment="production", jwt_secret_key=DEFAULT_JWT_SECRET)
    assert "JWT_SECRET_KEY is the development default" in problems.production_problems()


def test_the_research_key_is_never_a_key_from_the_source(tmp_path: Path) -> None:
    """Unset: each install makes its own random key and keeps it; production refuses."""
    first = Settings(_env_file=None, data_dir=tmp_path).research_key()
    other = Settings(_env_file=None, data_dir=tmp_path / "elsewhere").research_key()
    assert len(first) >= 32 and first != other
    assert Settings(_env_file=None, data_dir=tmp_path).research_key() == first
    assert Settings(_env_file=None, pseudonym_key="k" * 40).research_key() == "k" * 40
    with pytest.raises(InsecureConfigurationError, match="PSEUDONYM_KEY is not set"):
        Settings(_env_file=None, environment="production", data_dir=tmp_path).research_key()


def test_a_safe_production_configuration_starts() -> None:
    settings().check_production("hub", "flower")


@pytest.mark.parametrize(
    "overrides,components,named",
    [
        ({"jwt_secret_key": DEFAULT_JWT_SECRET}, (), "JWT_SECRET_KEY is the development default"),
        ({"jwt_secret_key": "short"}, (), "JWT_SECRET_KEY is shorter than 32"),
        ({"debug": True}, (), "DEBUG is on"),
        ({"allowed_origins": ["https://a.example", "*"]}, (), "ALLOWED_ORIGINS contains"),
        ({"pseudonym_key": ""}, (), "PSEUDONYM_KEY is not set"),
        ({"pseudonym_key": "short-key"}, (), "PSEUDONYM_KEY is shorter than 32"),
        ({"bcrypt_rounds": 10}, (), "BCRYPT_ROUNDS is below 12"),
        ({"jupyterhub_crypt_key": ""}, ("hub",), "JUPYTERHUB_CRYPT_KEY is not set"),
        ({"metrics_token": ""}, (), "METRICS_TOKEN is not set"),
        ({"metrics_token": "short"}, (), "METRICS_TOKEN is shorter than 32"),
        ({"flower_hub_token": ""}, ("flower",), "FLOWER_HUB_TOKEN is not set"),
        ({"flower_hub_token": ""}, ("hub",), "FLOWER_HUB_TOKEN is not set"),
        ({"flower_hub_token": "short"}, ("flower",), "FLOWER_HUB_TOKEN is shorter than 32"),
        ({"flower_basic_auth": "admin:admin"}, ("flower",), "the password of 'admin' is weak"),
        ({"redis_url": "redis://redis:6379/0"}, (), "REDIS_URL has no password"),
        ({"redis_url": ""}, (), "REDIS_URL has no password"),
        ({"cache_redis_url": "redis://cache:6379/0"}, (), "CACHE_REDIS_URL has no password"),
        ({"hub_spawner": "simple"}, ("hub",), "HUB_SPAWNER=simple"),
    ],
)
def test_production_refuses_each_unsafe_setting_by_name(
    overrides: dict[str, object], components: tuple[str, ...], named: str
) -> None:
    with pytest.raises(InsecureConfigurationError) as refused:
        settings(**overrides).check_production(*components)
    assert named in str(refused.value)
    assert "ENVIRONMENT=production" in str(refused.value)


def test_component_rules_apply_only_to_their_process() -> None:
    settings(jupyterhub_crypt_key="", flower_hub_token="", hub_spawner="simple").check_production()
    settings(jupyterhub_crypt_key="").check_production("flower")


def test_production_flower_needs_no_basic_auth() -> None:
    """Flower's login is the hub's: production starts without FLOWER_BASIC_AUTH."""
    settings(flower_basic_auth="").check_production("hub", "flower")


def test_outside_production_nothing_is_refused() -> None:
    """Development keeps its secrets in DATA_DIR (METRICS_TOKEN, FLOWER_HUB_TOKEN)."""
    relaxed = settings(
        environment="development",
        jwt_secret_key=DEFAULT_JWT_SECRET,
        debug=True,
        jupyterhub_crypt_key="",
        metrics_token="",
        flower_hub_token="",
        flower_basic_auth="",
    )
    relaxed.check_production("hub", "flower")


def test_metrics_and_flower_tokens_are_kept_development_secrets(
    tmp_path: Path, monkeypatch
) -> None:
    # the suite's environment sets both tokens (tests/conftest.py); a developer's has neither
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    monkeypatch.delenv("FLOWER_HUB_TOKEN", raising=False)
    dev = Settings(_env_file=None, data_dir=tmp_path)
    assert len(dev.metrics_secret()) == 64 and dev.metrics_secret() == dev.metrics_secret()
    assert dev.flower_hub_secret() != dev.metrics_secret()
    assert Settings(_env_file=None, metrics_token="t" * 40).metrics_secret() == "t" * 40


def test_flower_credentials_are_pairs() -> None:
    pairs = settings(flower_basic_auth="a:1, b:2,").flower_credentials
    assert pairs == ["a:1", "b:2"]


def test_environment_variable_names_are_the_field_names(monkeypatch) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    monkeypatch.setenv("FLOWER_BASIC_AUTH", "x:y")
    assert (Settings().db_pool_size, Settings().flower_basic_auth) == (3, "x:y")


def test_production_defaults_to_course_code_and_development_to_open() -> None:
    assert Settings(environment="production").registration_mode == "course-code"
    assert Settings(environment="development").registration_mode == "open"
    assert Settings(environment="production", registration="open").registration_mode == "open"


def test_tutor_models_parse_and_default_to_the_configured_model() -> None:
    import pytest as _pytest
    from pydantic import ValidationError

    from ainative.config import Settings

    default = Settings(_env_file=None, llm_provider="offline", llm_model="demo")
    assert default.tutor_model_choices() == [("offline", "demo")]
    listed = Settings(_env_file=None, tutor_models=" openai:gpt-4o , openai:gpt-4o,offline:x ")
    assert listed.tutor_model_choices() == [("openai", "gpt-4o"), ("offline", "x")]
    for bad in ("gpt-4o", "azure:gpt", "openai:"):
        with _pytest.raises(ValidationError, match="TUTOR_MODELS"):
            Settings(_env_file=None, tutor_models=bad)


def test_the_allocation_key_is_its_own_or_derived_without_revealing_the_pseudonym_key() -> None:
    key = "p" * 32
    derived = Settings(pseudonym_key=key).experiment_allocation_key()
    assert derived == Settings(pseudonym_key=key).experiment_allocation_key()  # every replica
    assert key not in derived and len(derived) == 64
    assert derived != Settings(pseudonym_key="q" * 32).experiment_allocation_key()
    assert Settings(pseudonym_key=key, allocation_key="a" * 32).experiment_allocation_key() == (
        "a" * 32
    )


def test_metrics_networks_from_a_comma_list_and_a_typo_named() -> None:
    from ainative.config import Settings

    assert Settings(metrics_networks="172.28.0.0/24, 10.1.2.3").metrics_networks == [
        "172.28.0.0/24",
        "10.1.2.3",
    ]
    with pytest.raises(ValueError, match="METRICS_NETWORKS: '172.28.0.0/33'"):
        Settings(metrics_networks="172.28.0.0/33")


def test_peer_allowed_judges_the_address_against_each_range() -> None:
    from ainative.observability.metrics_auth import peer_allowed

    assert peer_allowed("203.0.113.9", [])  # unset: the token alone decides
    assert peer_allowed("172.28.0.200", ["172.28.0.0/24"])
    assert not peer_allowed("172.29.0.7", ["172.28.0.0/24"])
    assert not peer_allowed(None, ["172.28.0.0/24"])
    assert not peer_allowed("testclient", ["172.28.0.0/24"])
    assert peer_allowed("::1", ["127.0.0.0/8", "::1/128"])
