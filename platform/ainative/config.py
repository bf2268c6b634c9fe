"""Settings: the one place that reads the environment.

Every process (API, worker, hub, CLI, analytics) builds its configuration here, so a
name means the same thing everywhere and production refuses unsafe values at start-up.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Long enough for HS256 (no PyJWT key-length warning), refused in production all the same.
DEFAULT_JWT_SECRET = "dev-insecure-change-me-0123456789abcdef"
MIN_SECRET_LENGTH = 32
REPO_ROOT = Path(__file__).resolve().parents[2]


class InsecureConfigurationError(RuntimeError):
    """Raised when ENVIRONMENT=production meets a setting that is unsafe there."""


class Settings(BaseSettings):
    """Platform configuration; field names are the environment variable names."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    environment: Literal["development", "test", "production"] = "development"
    debug: bool = False
    data_dir: Path = REPO_ROOT / ".data"

    # Database (pooled engine, one per process)
    database_url: str = ""
    db_pool_size: int = Field(10, ge=1)
    db_max_overflow: int = Field(20, ge=0)
    db_pool_timeout: float = Field(30.0, gt=0)
    db_pool_recycle: int = Field(1800, ge=-1)
    db_connect_timeout: int = Field(5, ge=1)
    db_statement_timeout_ms: int = Field(30_000, ge=0)

    # Redis: broker, cache and counters (CACHE_REDIS_URL optionally separates the cache)
    redis_url: str = ""
    cache_redis_url: str = ""
    llm_cache_enabled: bool = True
    llm_cache_ttl: int = Field(86_400, ge=1)
    llm_cache_max_entries: int = Field(10_000, ge=1)

    # Tokens
    jwt_secret_key: str = DEFAULT_JWT_SECRET
    jwt_algorithm: Literal["HS256", "HS384", "HS512", "RS256"] = "HS256"
    jwt_private_key_file: Path | None = None
    jwt_public_key_file: Path | None = None
    jwt_access_token_expire_minutes: int = Field(15, ge=1)
    jwt_refresh_token_expire_days: int = Field(7, ge=1)
    jwt_login_token_expire_seconds: int = Field(60, ge=5, le=120)
    jwt_issuer: str = "ainative"
    jwt_audience: str = "ainative-api"
    jwt_hub_audience: str = "jupyterhub"
    bcrypt_rounds: int = Field(12, ge=4, le=16)

    # HTTP
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    hub_port: int = 8000
    # NoDecode: ALLOWED_ORIGINS=a,b is a comma list, not JSON.
    allowed_origins: Annotated[list[str], NoDecode] = [
        "http://127.0.0.1:8000",
        "http://localhost:8000",
    ]
    public_api_url: str = ""

    # Abuse limits
    register_rate_limit: int = Field(10, ge=1, description="registrations per IP per window")
    login_rate_limit: int = Field(
        20, ge=1, description="login attempts per IP or account per window"
    )
    rate_limit_window_seconds: int = Field(300, ge=1)

    # Tutoring
    max_prompt_chars: int = Field(8_000, ge=1)
    max_context_chars: int = Field(20_000, ge=0)
    default_quota_per_hour: int = Field(30, ge=0)
    long_poll_max_seconds: float = Field(30.0, gt=0)
    sweeper_interval_seconds: float = Field(30.0, gt=0)
    sweeper_stale_seconds: float = Field(120.0, gt=0)
    sweeper_max_attempts: int = Field(5, ge=1)
    task_max_retries: int = Field(3, ge=0)
    worker_concurrency: int = Field(4, ge=1)
    tutor_queue: str = "tutor"

    # LLM
    llm_provider: Literal["offline", "openai"] = "offline"
    llm_model: str = "gpt-4o-mini"
    openai_api_key: str = ""
    openai_base_url: str = ""
    llm_timeout_seconds: float = Field(60.0, gt=0)
    llm_max_retries: int = Field(2, ge=0)
    llm_max_tokens: int = Field(800, ge=1)
    offline_delay_seconds: float = Field(0.0, ge=0)

    # Research
    pseudonym_key: str = "dev-pseudonym-key"

    # --- JupyterHub (hub work: jupyterhub_config.py, ainative.hub, ainative.notebook) ---
    hub_ip: str = "127.0.0.1"
    hub_api_port: int = Field(8081, description="the Hub's internal API (spawned servers call it)")
    hub_proxy_api_port: int = Field(8001, description="configurable-http-proxy's REST API")
    hub_database_url: str = Field("", description="the Hub's own DB; default sqlite in DATA_DIR")
    hub_api_url: str = Field("", description="API URL for single-user servers (AINATIVE_API_URL)")
    hub_public_url: str = Field("", description="the hub as browsers reach it; login links")
    hub_auth_refresh_age: int = Field(300, ge=0, description="seconds between DB re-checks")
    hub_allowed_courses: str = Field("", description="comma-separated course codes; '' = all")
    hub_authenticate_prometheus: bool = Field(
        False, description="require a token for /hub/metrics (keep the path private otherwise)"
    )
    jupyterhub_crypt_key: str = Field("", description="encrypts auth_state (tokens)")
    # Read inside single-user servers by ainative.notebook.TutorClient (set by the hub).
    ainative_api_url: str = ""
    ainative_access_token: str = ""
    ainative_refresh_token: str = ""
    # --- end JupyterHub ---

    # --- Tutoring pipeline (tutor work: ainative.tutor, ainative.llm, worker/, api tutor) ---
    llm_retry_backoff_seconds: float = Field(
        0.5, ge=0, description="first backoff of the task's LLM retries; doubles each time"
    )
    worker_heartbeat_seconds: float = Field(
        10.0, gt=0, description="how often workers refresh their presence in Redis"
    )
    sweeper_batch_size: int = Field(100, ge=1, description="rows the sweeper handles per pass")
    # --- end Tutoring pipeline ---

    # --- Operations (ops work: ainative.observability, api/metrics.py, worker/observability.py) ---
    log_format: Literal["json", "text"] = Field("json", description="text for humans (make run)")
    log_level: str = Field("INFO", description="root log level")
    metrics_multiproc_dir: str = Field(
        "", description="base of PROMETHEUS_MULTIPROC_DIR (api/worker); default DATA_DIR/prometheus"
    )
    worker_metrics_host: str = Field("127.0.0.1", description="0.0.0.0 in containers")
    worker_metrics_port: int = Field(9808, ge=0, description="worker /metrics port; 0 disables")
    flower_host: str = "127.0.0.1"
    flower_port: int = Field(5555, ge=1)
    flower_basic_auth: str = Field("", description="user:password[,user2:password2]; required")
    flower_url_prefix: str = Field("", description="e.g. services/flower behind the hub proxy")
    flower_url: str = Field("", description="Flower as the hub reaches it (its service URL)")
    # --- end Operations ---

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """Accept a comma list (a,b) or a JSON list (["a","b"]) from the environment."""
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @property
    def cache_url(self) -> str:
        return self.cache_redis_url or self.redis_url

    def production_problems(self) -> list[str]:
        """Name every setting that must not reach production as it is."""
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
        if self.pseudonym_key == "dev-pseudonym-key":
            problems.append("PSEUDONYM_KEY is the development default")
        if self.bcrypt_rounds < 12:
            problems.append("BCRYPT_ROUNDS is below 12")
        return problems

    def check_production(self) -> None:
        """Refuse to start in production with an unsafe setting, naming it."""
        if self.environment == "production":
            problems = self.production_problems()
            if problems:
                raise InsecureConfigurationError(
                    "refusing to start with ENVIRONMENT=production: " + "; ".join(problems)
                )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
