"""Settings: the one place that reads the environment.

Every process (API, worker, hub, Flower, CLI, analytics) builds its configuration here,
so a name means the same thing everywhere and production refuses unsafe values at
start-up. Each topic is a small model; `Settings` joins them. A field's `description=`
is its documentation: `ainative config --markdown` prints the README's table from it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict

from ainative.config_topics import (
    DEFAULT_JWT_SECRET,
    MIN_FLOWER_PASSWORD_LENGTH,
    MIN_PRODUCTION_BCRYPT_ROUNDS,
    MIN_SECRET_LENGTH,
    AbuseSettings,
    ConsoleSettings,
    DatabaseSettings,
    EnvironmentSettings,
    HttpSettings,
    HubSettings,
    LlmSettings,
    OperationsSettings,
    RedisSettings,
    ResearchSettings,
    SignInSettings,
    TokenSettings,
    Topic,
    TutoringSettings,
    WorkerSettings,
)

__all__ = ["DEFAULT_JWT_SECRET", "TOPICS", "Settings", "get_settings"]

# Processes with refusals of their own, on top of the rules every process shares.
Component = Literal["hub", "flower", "console"]


class InsecureConfigurationError(RuntimeError):
    """Raised when a process meets a setting that is unsafe for it, naming the setting."""


class Settings(
    EnvironmentSettings,
    DatabaseSettings,
    RedisSettings,
    TokenSettings,
    HttpSettings,
    AbuseSettings,
    TutoringSettings,
    WorkerSettings,
    LlmSettings,
    ResearchSettings,
    HubSettings,
    SignInSettings,
    ConsoleSettings,
    OperationsSettings,
    BaseSettings,
):
    """Platform configuration; field names are the environment variable names.

    The bases are the topics, in the order of the configuration table.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    @property
    def cache_url(self) -> str:
        return self.cache_redis_url or self.redis_url

    @property
    def registration_mode(self) -> Literal["open", "course-code", "closed"]:
        """REGISTRATION, or its default: course-code in production, open elsewhere."""
        if self.registration:
            return self.registration
        return "course-code" if self.environment == "production" else "open"

    @property
    def flower_credentials(self) -> list[str]:
        """FLOWER_BASIC_AUTH as Flower's list of user:password pairs."""
        return [pair.strip() for pair in self.flower_basic_auth.split(",") if pair.strip()]

    def flower_password_problems(self) -> list[str]:
        """FLOWER_BASIC_AUTH pairs whose password a guess finds (admin:admin, short ones).

        Optional since Flower sits behind the hub's login, but if set it must not be
        guessable: Flower counts no failures.
        """
        problems = []
        for pair in self.flower_credentials:
            user, _, password = pair.partition(":")
            if len(password) < MIN_FLOWER_PASSWORD_LENGTH or password.lower() == user.lower():
                problems.append(
                    f"FLOWER_BASIC_AUTH: the password of {user!r} is weak (at least "
                    f"{MIN_FLOWER_PASSWORD_LENGTH} characters, not the user name; "
                    "openssl rand -base64 18)"
                )
        return problems

    def development_secret(self, name: str, nbytes: int = 32) -> str:
        """A per-install secret kept in DATA_DIR/secrets, so restarts keep sessions valid.

        Only for development and tests: production refuses unset secrets instead.
        """
        path = self.data_dir / "secrets" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(nbytes))
            path.chmod(0o600)
        return path.read_text().strip()

    def metrics_secret(self) -> str:
        """METRICS_TOKEN, else (shared through DATA_DIR) this install's own."""
        return self.metrics_token or self.development_secret("metrics_token")

    def flower_hub_secret(self) -> str:
        """FLOWER_HUB_TOKEN, else (shared through DATA_DIR) this install's own."""
        return self.flower_hub_token or self.development_secret("flower_hub_token")

    def hub_service_secret(self) -> str:
        """HUB_SERVICE_TOKEN, else (shared through DATA_DIR) this install's own."""
        return self.hub_service_token or self.development_secret("hub_service_token")

    def console_service_secret(self) -> str:
        """CONSOLE_HUB_TOKEN, else (shared through DATA_DIR) this install's own."""
        return self.console_hub_token or self.development_secret("console_hub_token")

    def console_cookie_key(self) -> str:
        """CONSOLE_COOKIE_SECRET, else (outside production) this install's own."""
        return self.console_cookie_secret or self.development_secret("console_cookie")

    @property
    def console_service_url(self) -> str:
        """The console as the hub proxies to it (CONSOLE_URL, else host and port)."""
        return (self.console_url or f"http://{self.console_host}:{self.console_port}").rstrip("/")

    @property
    def console_api_base(self) -> str:
        """The API as the console calls it (CONSOLE_API_URL, else this host's API_PORT)."""
        return (self.console_api_url or f"http://127.0.0.1:{self.api_port}").rstrip("/")

    @property
    def hub_rest_url(self) -> str:
        """The hub's REST API for the platform's own calls (HUB_SERVICE_API_URL)."""
        url = self.hub_service_api_url or f"http://127.0.0.1:{self.hub_api_port}/hub/api"
        return url.rstrip("/")

    def research_key(self) -> str:
        """The pseudonym key: PSEUDONYM_KEY, else (outside production) this install's own.

        No key lives in the source: a known key would make pseudonyms of sequential
        ids reversible by anyone who reads it.
        """
        if self.pseudonym_key:
            return self.pseudonym_key
        if self.environment == "production":
            raise InsecureConfigurationError("PSEUDONYM_KEY is not set (openssl rand -hex 32)")
        return self.development_secret("pseudonym_key")

    def experiment_allocation_key(self) -> str:
        """The tie-break key of experiment allocation: ALLOCATION_KEY, else one derived from
        the pseudonym key (HMAC, so every API replica agrees and it does not reveal it).

        Knowing it lets an auditor recompute every tie-break from the assignments; it
        reveals no pseudonym.
        """
        if self.allocation_key:
            return self.allocation_key
        derived = hmac.new(self.research_key().encode(), b"allocation-key", hashlib.sha256)
        return derived.hexdigest()

    def oidc_problems(self) -> list[str]:
        """Campus OIDC (OIDC_ISSUER set) without its client or over plain http."""
        problems = [
            f"{name.upper()} is not set (campus OIDC needs it with OIDC_ISSUER)"
            for name in (
                "oauth_client_id",
                "oauth_client_secret",
                "oauth2_authorize_url",
                "oauth2_token_url",
                "oauth2_userdata_url",
            )
            if not getattr(self, name)
        ]
        for name in ("oidc_issuer", "oauth2_authorize_url", "oauth2_token_url"):
            value = getattr(self, name)
            if value and urlsplit(value).scheme != "https":
                problems.append(f"{name.upper()} must be an https URL")
        return problems

    def production_problems(self, *components: Component) -> list[str]:
        """Name every setting that must not reach production as it is.

        The rules every process shares, then those of the named components.
        """
        problems = []
        if self.jwt_algorithm.startswith("HS"):
            if self.jwt_secret_key == DEFAULT_JWT_SECRET:
                problems.append("JWT_SECRET_KEY is the development default")
            elif len(self.jwt_secret_key) < MIN_SECRET_LENGTH:
                problems.append(f"JWT_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters")
        if self.debug:
            problems.append("DEBUG is on")
        if any(o.strip() == "*" for o in self.allowed_origins):
            problems.append("ALLOWED_ORIGINS contains the wildcard '*'")
        if not self.pseudonym_key:
            problems.append("PSEUDONYM_KEY is not set (openssl rand -hex 32)")
        elif len(self.pseudonym_key) < MIN_SECRET_LENGTH:
            problems.append(f"PSEUDONYM_KEY is shorter than {MIN_SECRET_LENGTH} characters")
        if self.bcrypt_rounds < MIN_PRODUCTION_BCRYPT_ROUNDS:
            problems.append(f"BCRYPT_ROUNDS is below {MIN_PRODUCTION_BCRYPT_ROUNDS}")
        if not urlsplit(self.redis_url).password:
            problems.append("REDIS_URL has no password (redis://user:password@host:6379/0)")
        if self.cache_redis_url and not urlsplit(self.cache_redis_url).password:
            problems.append("CACHE_REDIS_URL has no password")
        if not self.metrics_token:
            problems.append("METRICS_TOKEN is not set (openssl rand -hex 32)")
        elif len(self.metrics_token) < MIN_SECRET_LENGTH:
            problems.append(f"METRICS_TOKEN is shorter than {MIN_SECRET_LENGTH} characters")
        if {"hub", "flower"} & set(components):
            if not self.flower_hub_token:
                problems.append("FLOWER_HUB_TOKEN is not set (openssl rand -hex 32)")
            elif len(self.flower_hub_token) < MIN_SECRET_LENGTH:
                problems.append(f"FLOWER_HUB_TOKEN is shorter than {MIN_SECRET_LENGTH} characters")
        if "flower" in components:
            problems += self.flower_password_problems()
        if "hub" in components and not self.jupyterhub_crypt_key:
            problems.append("JUPYTERHUB_CRYPT_KEY is not set (openssl rand -hex 32)")
        if "console" in components and not self.console_hub_token:
            problems.append("CONSOLE_HUB_TOKEN is not set (openssl rand -hex 32)")
        if "console" in components and len(self.console_cookie_secret) < MIN_SECRET_LENGTH:
            problems.append(
                f"CONSOLE_COOKIE_SECRET is unset or shorter than {MIN_SECRET_LENGTH} characters"
            )
        if "hub" in components and self.oidc_issuer:
            problems += self.oidc_problems()
        if "hub" in components and self.hub_spawner == "simple":
            problems.append(
                "HUB_SPAWNER=simple runs students' code as the hub's own user "
                "(use local-users, docker or kubernetes)"
            )
        return problems

    def check_production(self, *components: Component) -> None:
        """Refuse to start with an unsafe setting, naming it.

        With ENVIRONMENT=production every rule of `production_problems` applies. Flower
        never runs open in any environment: admins log in through the hub
        (ainative.observability.flower_hub_auth), whose token is always set.
        """
        problems = []
        if self.environment == "production":
            problems += self.production_problems(*components)
        if problems:
            raise InsecureConfigurationError(
                f"refusing to start with ENVIRONMENT={self.environment}: " + "; ".join(problems)
            )


# Topics in the order of the configuration table: Settings' bases.
TOPICS: tuple[type[Topic], ...] = tuple(b for b in Settings.__bases__ if issubclass(b, Topic))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
