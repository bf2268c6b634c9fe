"""The fields of Settings, one small model per topic (ainative.config joins them).

A topic only declares fields, defaults, limits and the `description=` that documents
each; reading the environment and the production refusals stay in ainative.config.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import NoDecode

# Long enough for HS256 (no PyJWT key-length warning), refused in production all the same.
DEFAULT_JWT_SECRET = "dev-insecure-change-me-0123456789abcdef"
MIN_SECRET_LENGTH = 32
MIN_PRODUCTION_BCRYPT_ROUNDS = 12
MIN_FLOWER_PASSWORD_LENGTH = 16  # a random one: openssl rand -base64 18


class Topic(BaseModel):
    """A group of settings; TITLE heads its part of the configuration table."""

    TITLE: ClassVar[str] = ""


class EnvironmentSettings(Topic):
    TITLE = "Environment"

    environment: Literal["development", "test", "production"] = Field(
        "development",
        description="development, test or production; production refuses unsafe settings "
        "and skips the demo accounts.",
    )
    debug: bool = Field(False, description="FastAPI debug pages; never in production.")
    data_dir: Path = Field(
        Path(".data"),
        validate_default=True,
        description="Folder for the embedded servers, hub state, development secrets and "
        "metrics files; relative to the working directory.",
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        """Fix a relative folder at start-up, so child processes agree on it."""
        return value.absolute()


class DatabaseSettings(Topic):
    TITLE = "Database"

    database_url: str = Field(
        "",
        description="PostgreSQL URL of the platform; unset, `make run` and `make test` "
        "start an embedded server.",
    )
    db_pool_size: int = Field(
        10, ge=1, description="Pooled connections each process keeps open; raise with traffic."
    )
    db_max_overflow: int = Field(
        20, ge=0, description="Connections a process may open beyond the pool under load."
    )
    db_pool_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds a worker or command waits for a free pooled connection before "
        "failing.",
    )
    api_db_pool_timeout: float = Field(
        3.0,
        gt=0,
        description="Seconds an API request waits for a free pooled connection; then it "
        "answers 503 with Retry-After.",
    )
    db_pool_recycle: int = Field(
        1800, ge=-1, description="Seconds after which a connection is replaced; -1 never."
    )
    db_connect_timeout: int = Field(
        5, ge=1, description="Seconds to wait for PostgreSQL when opening a connection."
    )
    db_statement_timeout_ms: int = Field(
        30_000, ge=0, description="Milliseconds before PostgreSQL cancels a statement; 0 never."
    )


class RedisSettings(Topic):
    TITLE = "Redis & cache"

    redis_url: str = Field(
        "",
        description="Redis for the broker, cache and counters; unset, an embedded "
        "redis-server starts.",
    )
    cache_redis_url: str = Field(
        "", description="A separate Redis for the response cache; unset, REDIS_URL is used."
    )
    llm_cache_enabled: bool = Field(
        True, description="Answer repeated first questions from the response cache."
    )
    llm_cache_ttl: int = Field(
        86_400, ge=1, description="Seconds a cached answer lives (every cache key has a TTL)."
    )
    llm_cache_max_entries: int = Field(
        10_000, ge=1, description="Entries of the in-memory cache used when Redis is missing."
    )


class TokenSettings(Topic):
    TITLE = "Tokens & passwords"

    jwt_secret_key: str = Field(
        DEFAULT_JWT_SECRET,
        description="Signing key of HS* tokens, shared by the API and the hub; at least 32 "
        "characters in production.",
    )
    jwt_algorithm: Literal["HS256", "HS384", "HS512", "RS256"] = Field(
        "HS256", description="Token signature algorithm; RS256 reads the key files below."
    )
    jwt_private_key_file: Path | None = Field(
        None, description="PEM private key that signs tokens when JWT_ALGORITHM is RS256."
    )
    jwt_public_key_file: Path | None = Field(
        None, description="PEM public key that verifies tokens when JWT_ALGORITHM is RS256."
    )
    jwt_access_token_expire_minutes: int = Field(
        15, ge=1, description="Lifetime of an access token."
    )
    jwt_server_token_expire_minutes: int = Field(
        60,
        ge=1,
        description="Lifetime of a single-user server's access token (scope tutor: the "
        "widget's endpoints only; the server renews it with its server key).",
    )
    jwt_refresh_token_expire_days: int = Field(
        7, ge=1, description="Lifetime of a refresh token (each use rotates it)."
    )
    jwt_login_token_expire_seconds: int = Field(
        60, ge=5, le=120, description="Lifetime of a single-use hub login link (at most 120)."
    )
    jwt_issuer: str = Field("ainative", description="The `iss` claim issued and required.")
    jwt_audience: str = Field("ainative-api", description="The `aud` claim of API tokens.")
    jwt_hub_audience: str = Field("jupyterhub", description="The `aud` claim of hub login tokens.")
    bcrypt_rounds: int = Field(
        12,
        ge=4,
        le=16,
        description="Password hashing cost; lower only in tests (12+ in production).",
    )


class HttpSettings(Topic):
    TITLE = "HTTP"

    api_host: str = Field(
        "127.0.0.1", description="Address the API listens on; 0.0.0.0 in containers."
    )
    api_port: int = Field(8080, description="Port the API listens on.")
    api_workers: int = Field(
        0, ge=0, description="API processes (uvicorn workers); 0 means one per CPU core."
    )
    # NoDecode: ALLOWED_ORIGINS=a,b is a comma list, not JSON.
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        ["http://127.0.0.1:8000", "http://localhost:8000"],
        description="CORS origins allowed to call the API, a comma or JSON list; never `*` "
        "in production.",
    )
    public_api_url: str = Field(
        "", description="The API's URL as users reach it (behind a proxy or load balancer)."
    )

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """Accept a comma list (a,b) or a JSON list (["a","b"]) from the environment."""
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [o.strip() for o in value.split(",") if o.strip()]
        return value


class AbuseSettings(Topic):
    TITLE = "Abuse limits"

    registration: Literal["", "open", "course-code", "closed"] = Field(
        "",
        description="Who may create an account: `open` (anyone), `course-code` (students with "
        "a course's join code, enrolled in it) or `closed` (staff create accounts). Empty: "
        "course-code in production, open otherwise.",
    )
    register_rate_limit: int = Field(
        10,
        ge=1,
        description="Registration attempts (wrong join codes included) allowed per IP per "
        "rate-limit window.",
    )
    login_rate_limit: int = Field(
        20, ge=1, description="Login attempts allowed per IP and per account per window."
    )
    rate_limit_window_seconds: int = Field(
        300, ge=1, description="Length of the registration and login rate-limit window."
    )
    login_account_limit: int = Field(
        100,
        ge=1,
        description="Failed logins per account from all addresses together per window; past "
        "it every attempt on the account waits `LOGIN_SLOWDOWN_SECONDS` (its owner is slowed, "
        "never locked out).",
    )
    login_slowdown_seconds: float = Field(
        2.0, ge=0, le=30, description="Delay of each login attempt on an account under attack."
    )
    # NoDecode: TRUSTED_PROXIES=a,b is a comma list, not JSON.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        ["127.0.0.1/32", "::1/128"],
        description="Addresses or CIDR ranges of the proxies in front of the API and the hub "
        "(nginx, an ingress, the hub's own proxy), a comma list. The client's address comes "
        "from `X-Forwarded-For` only when the direct peer is one of them.",
    )
    max_body_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest request body the API reads; larger ones get 413 before parsing.",
    )
    max_events_body_bytes: int = Field(
        9 * 1024 * 1024,
        ge=1024,
        description="Largest body of `POST /api/v1/events/batch` (500 events of up to 16 KiB).",
    )
    events_rate_limit: int = Field(
        120, ge=1, description="Event batches a user may send per minute; more get 429."
    )
    long_polls_per_user: int = Field(
        4,
        ge=1,
        description="Waiting requests (long-polls, streams) one user may hold open at once; "
        "more get 429.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        """Accept a comma list from the environment; an empty string trusts no proxy."""
        return comma_list(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        return networks("TRUSTED_PROXIES", value)


def comma_list(value: object) -> object:
    """A list setting from the environment: a JSON list or a comma list ('' is empty)."""
    if isinstance(value, str):
        if value.strip().startswith("["):
            return json.loads(value)
        return [p.strip() for p in value.split(",") if p.strip()]
    return value


def networks(name: str, value: list[str]) -> list[str]:
    """Fail at start-up on a typo in a list of addresses or CIDR ranges, naming the entry."""
    for entry in value:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ValueError(f"{name}: {entry!r} is not an address or CIDR") from exc
    return value


class TutoringSettings(Topic):
    TITLE = "Tutoring"

    max_prompt_chars: int = Field(
        8_000, ge=1, description="Longest question accepted; longer ones get 422."
    )
    max_context_chars: int = Field(
        20_000, ge=0, description="Longest notebook context (cell, error) accepted with a question."
    )
    default_quota_per_hour: int = Field(
        30,
        ge=0,
        description="Questions per student per hour unless the course policy says otherwise.",
    )
    long_poll_max_seconds: float = Field(
        30.0, gt=0, description="Longest `?wait=` a client may ask for when polling an answer."
    )
    history_max_chars: int = Field(
        12_000,
        ge=0,
        description="Conversation history sent to the model with a follow-up, in characters "
        "(not tokens) of earlier questions and answers of the session: the newest turns are "
        "kept whole, older ones dropped. 0 sends no history.",
    )
    explanation_budget_ms: int = Field(
        200,
        ge=0,
        le=10_000,
        description="How long the kernel may take to explain a failed cell (friendly-traceback, "
        "read when `%load_ext ainative.notebook` runs); slower, and the question goes without "
        "the explanation. 0 turns the explanation off.",
    )
    stream_ttl_seconds: int = Field(
        600,
        ge=10,
        description="How long an answer's live stream (its Redis Stream of text deltas) stays "
        "replayable after its last write; later readers get the stored answer only.",
    )
    stream_max_seconds: float = Field(
        120.0,
        gt=0,
        description="Longest one SSE connection to an answer's stream is held open; the client "
        "reconnects with Last-Event-ID and continues where it stopped.",
    )


class WorkerSettings(Topic):
    TITLE = "Worker"

    worker_concurrency: int = Field(
        200,
        ge=1,
        description="Tasks in flight per worker process; their LLM calls share the process's "
        "event loop.",
    )
    tutor_queue: str = Field("tutor", description="Celery queue of tutoring tasks.")
    worker_task_events: bool = Field(
        False,
        description="Workers send Celery task events from the start. Off: they cost a publish "
        "per task state, so workers send them only once Flower switches them on (it asks every "
        "5 s while it runs).",
    )
    task_max_retries: int = Field(
        3, ge=0, description="Retries of a task on LLM rate limits, 5xx and timeouts."
    )
    llm_retry_backoff_seconds: float = Field(
        0.5, ge=0, description="First backoff of the task's LLM retries; doubles each time."
    )
    worker_heartbeat_seconds: float = Field(
        10.0, gt=0, description="How often workers refresh their presence in Redis for health."
    )
    sweeper_interval_seconds: float = Field(
        30.0, gt=0, description="How often beat runs the sweeper of stuck interactions."
    )
    sweeper_stale_seconds: float = Field(
        120.0, gt=0, description="Age after which a queued or running interaction is re-enqueued."
    )
    sweeper_max_attempts: int = Field(
        5, ge=1, description="Re-enqueues of one interaction before it is marked failed."
    )
    sweeper_batch_size: int = Field(100, ge=1, description="Rows the sweeper handles per pass.")


class LlmSettings(Topic):
    TITLE = "LLM"

    llm_provider: Literal["offline", "openai"] = Field(
        "offline",
        description="Default provider: the rule-based offline tutor, or any OpenAI-compatible "
        "server.",
    )
    llm_model: str = Field(
        "gpt-4o-mini", description="Default model; a course policy may override it."
    )
    tutor_models: str = Field(
        "",
        description="Models course policies may choose, comma-separated provider:model "
        "(e.g. openai:gpt-4o-mini,openai:gpt-4o); empty: only LLM_PROVIDER:LLM_MODEL.",
    )
    openai_api_key: str = Field("", description="API key for the openai provider.")
    openai_base_url: str = Field(
        "", description="OpenAI-compatible server (vLLM, Ollama, LiteLLM); unset, OpenAI."
    )
    llm_timeout_seconds: float = Field(60.0, gt=0, description="Timeout of one LLM call.")
    llm_max_retries: int = Field(
        2, ge=0, description="The SDK's own retries on connection errors, per call."
    )
    llm_max_tokens: int = Field(800, ge=1, description="Longest answer, in tokens.")
    llm_max_connections: int = Field(
        1000,
        ge=1,
        description="Most HTTP connections to the LLM server per worker process (calls in flight).",
    )
    offline_delay_seconds: float = Field(
        0.0, ge=0, description="Make the offline tutor slow, for demos of progress."
    )
    llm_temperature: float | None = Field(
        None,
        ge=0,
        le=2,
        description="Sampling temperature sent to the model; unset, the server's default "
        "(stored per interaction either way, as sent).",
    )
    llm_seed: int | None = Field(
        None,
        description="Seed sent to the model for best-effort reproducible sampling; unset, none.",
    )
    llm_store_messages: bool = Field(
        True,
        description="Keep the rendered messages sent to the model on each interaction; off, "
        "only their SHA-256 is kept.",
    )
    llm_prices: str = Field(
        "",
        description='Token prices for cost reports, JSON {"model": [prompt, completion]} in '
        "currency units per million tokens; a model not listed has no cost.",
    )

    @field_validator("llm_prices")
    @classmethod
    def _llm_prices_parse(cls, value: str) -> str:
        parse_llm_prices(value)  # fails at start-up, naming LLM_PRICES
        return value

    @field_validator("tutor_models")
    @classmethod
    def _tutor_models_parse(cls, value: str) -> str:
        parse_tutor_models(value)  # fails at start-up, naming TUTOR_MODELS
        return value

    def tutor_model_choices(self) -> list[tuple[str, str]]:
        """The (provider, model) pairs an admin enabled; the default pair when none."""
        return parse_tutor_models(self.tutor_models) or [(self.llm_provider, self.llm_model)]


LLM_PROVIDERS = ("offline", "openai")


def parse_llm_prices(value: str) -> dict[str, tuple[float, float]]:
    """LLM_PRICES as {model: (prompt, completion) per million tokens}."""
    if not value.strip():
        return {}
    try:
        raw = json.loads(value)
    except ValueError as exc:
        raise ValueError(f"LLM_PRICES is not JSON: {exc}") from None
    usage = (
        'LLM_PRICES must map each model to [prompt, completion], e.g. {"gpt-4o-mini": [0.15, 0.6]}'
    )
    if not isinstance(raw, dict):
        raise ValueError(usage)
    prices: dict[str, tuple[float, float]] = {}
    for model, pair in raw.items():
        ok = isinstance(pair, list) and len(pair) == 2
        if not ok or not all(isinstance(p, int | float) and p >= 0 for p in pair):
            raise ValueError(usage)
        prices[str(model)] = (float(pair[0]), float(pair[1]))
    return prices


def parse_tutor_models(value: str) -> list[tuple[str, str]]:
    """TUTOR_MODELS as (provider, model) pairs, in order, without repeats."""
    pairs: list[tuple[str, str]] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        provider, sep, model = item.partition(":")
        if not sep or provider not in LLM_PROVIDERS or not model.strip():
            raise ValueError(
                f"TUTOR_MODELS: {item!r} is not provider:model with a provider of "
                f"{', '.join(LLM_PROVIDERS)}"
            )
        if (provider, model.strip()) not in pairs:
            pairs.append((provider, model.strip()))
    return pairs


class ResearchSettings(Topic):
    TITLE = "Research"

    pseudonym_key: str = Field(
        "",
        description="HMAC key of the pseudonymous ids in research exports; at least 32 "
        "characters in production. Unset elsewhere: a random key kept in DATA_DIR/secrets.",
    )
    allocation_key: str = Field(
        "",
        description="HMAC key of experiments' tie-breaks within a block; separate from "
        "PSEUDONYM_KEY so the allocation can be audited without it. Unset: derived from "
        "PSEUDONYM_KEY (an HMAC, which does not reveal it).",
    )


class HubSettings(Topic):
    TITLE = "JupyterHub"

    hub_ip: str = Field("127.0.0.1", description="Address the hub's proxy listens on.")
    hub_port: int = Field(8000, description="Public port of JupyterHub's proxy.")
    hub_api_port: int = Field(
        8081, description="The hub's internal API port (spawned servers call it)."
    )
    hub_proxy_api_port: int = Field(8001, description="configurable-http-proxy's REST API port.")
    hub_database_url: str = Field(
        "", description="The hub's own database; unset, SQLite in DATA_DIR/hub."
    )
    hub_api_url: str = Field(
        "",
        description="The API as single-user servers reach it; unset, PUBLIC_API_URL or "
        "API_HOST:API_PORT.",
    )
    hub_public_url: str = Field(
        "", description="The hub as browsers reach it, for login links the API hands out."
    )
    hub_auth_refresh_age: int = Field(
        300, ge=0, description="Seconds between the hub's re-checks of an account in the DB."
    )
    hub_allowed_courses: str = Field(
        "", description="Comma-separated course codes whose members may log in; unset, all."
    )
    hub_spawner: Literal["simple", "local-users", "docker", "kubernetes"] = Field(
        "simple",
        description="How students' servers run: simple (the hub's own user; local demo "
        "only, refused in production), local-users (one system user per student; the hub "
        "runs as root), docker (a container per student), kubernetes (set by the chart).",
    )
    hub_users_home_root: str = Field(
        "/home", description="local-users: where students' home directories (0700) go."
    )
    hub_singleuser_python: str = Field(
        "",
        description="local-users: the Python running students' servers (its files must be "
        "readable by them); unset, the hub's own.",
    )
    hub_singleuser_image: str = Field(
        "ainative-hub:latest", description="docker: the image of students' server containers."
    )
    hub_docker_network: str = Field(
        "ainative_students",
        description="docker: the network of students' containers (reaches the hub and the "
        "API, never Redis or PostgreSQL).",
    )
    hub_subdomain_host: str = Field(
        "",
        description="Gives each user's server its own origin (https://tutor.example.org -> "
        "alice.tutor.example.org); unset, all share the hub's origin (local demo only).",
    )
    hub_service_api_url: str = Field(
        "",
        description="The hub's REST API as the API and worker reach it, to remove a deleted "
        "account's hub user, servers and storage; unset, http://127.0.0.1:HUB_API_PORT/hub/api.",
    )
    hub_service_token: str = Field(
        "",
        description="Token of the hub service `ainative-api` (scope delete:users only), the "
        "same for the hub, API and worker; unset, a kept development secret.",
    )
    jupyterhub_crypt_key: str = Field(
        "",
        description="Encrypts the hub's auth_state (users' API tokens); required in "
        "production, a kept development key otherwise.",
    )
    ainative_api_url: str = Field(
        "", description="Set by the hub in single-user servers: the API for the notebook client."
    )
    ainative_access_token: str = Field(
        "",
        description="Set by the hub in single-user servers: the student's access token "
        "scoped to the tutor widget (refused by me/*, auth/* and hub-token).",
    )
    ainative_server_key: str = Field(
        "",
        description="Set by the hub in single-user servers: renews the scoped access token "
        "through POST /api/v1/auth/server-token (not a refresh token; never rotated).",
    )
    ainative_courses: str = Field(
        "",
        description="Set by the hub in single-user servers: the student's courses as JSON "
        "`[{id, code, title}]`; unset, the notebook widget asks the API.",
    )


class ConsoleSettings(Topic):
    TITLE = "Staff console"

    console_host: str = Field(
        "127.0.0.1", description="Address the staff console listens on; 0.0.0.0 in containers."
    )
    console_port: int = Field(
        8090, ge=1, description="Port of the staff console (the hub proxies /services/console/)."
    )
    console_url: str = Field(
        "",
        description="The console as the hub reaches it (its service URL); unset, "
        "http://CONSOLE_HOST:CONSOLE_PORT.",
    )
    console_api_url: str = Field(
        "",
        description="The API as the console reaches it; unset, http://127.0.0.1:API_PORT.",
    )
    console_hub_token: str = Field(
        "",
        description="Token of the hub service `console` (its OAuth client), the same for the "
        "hub and the console; unset, a kept development secret.",
    )
    console_cookie_secret: str = Field(
        "",
        description="Signs the console's login cookie; at least 32 characters in production, "
        "a kept development secret otherwise.",
    )
    console_live_poll_ms: int = Field(
        1000,
        ge=1000,
        le=60_000,
        description="How often the live lab page asks for new figures (at most once a second).",
    )


class OperationsSettings(Topic):
    TITLE = "Operations: logs, metrics, Flower"

    log_format: Literal["json", "text"] = Field(
        "json", description="Log lines as JSON for collectors, or text for humans (`make run`)."
    )
    log_level: str = Field("INFO", description="Root log level.")
    metrics_multiproc_dir: str = Field(
        "",
        description="Base of PROMETHEUS_MULTIPROC_DIR for the API and worker; unset, "
        "DATA_DIR/prometheus.",
    )
    metrics_token: str = Field(
        "",
        description="Bearer token Prometheus sends to every /metrics (API, worker, hub as its "
        "service `prometheus`, Flower); required in production, a kept development secret "
        "otherwise.",
    )
    metrics_networks: Annotated[list[str], NoDecode] = Field(
        [],
        description="CIDR ranges a /metrics request (API, worker) may come from, a comma list, "
        "judged on the direct peer; others get 404 even with the token. Empty: any address "
        "with the token. Compose sets Prometheus's network, so students' containers, which "
        "reach the API, cannot read it.",
    )
    worker_metrics_host: str = Field(
        "127.0.0.1", description="Address of the worker's /metrics; 0.0.0.0 in containers."
    )
    worker_metrics_port: int = Field(
        9808, ge=0, description="Port of the worker's /metrics; 0 disables it."
    )
    flower_host: str = Field("127.0.0.1", description="Address Flower listens on.")
    flower_port: int = Field(5555, ge=1, description="Port Flower listens on.")
    flower_hub_token: str = Field(
        "",
        description="Token of the hub service `flower` (its OAuth client secret: admins log "
        "in to Flower through the hub), the same for the hub and Flower; required in "
        "production, a kept development secret otherwise.",
    )
    flower_basic_auth: str = Field(
        "",
        description="Optional basic auth (`user:password[,...]`) asked on top of the hub "
        "login; if set, production refuses a weak password.",
    )
    flower_url_prefix: str = Field(
        "", description="Path Flower serves under, e.g. services/flower behind the hub proxy."
    )
    flower_url: str = Field(
        "", description="Flower as the hub reaches it (its service URL); unset, host and port."
    )

    @field_validator("metrics_networks", mode="before")
    @classmethod
    def _split_metrics_networks(cls, value: object) -> object:
        return comma_list(value)

    @field_validator("metrics_networks")
    @classmethod
    def _valid_metrics_networks(cls, value: list[str]) -> list[str]:
        return networks("METRICS_NETWORKS", value)


class SignInSettings(Topic):
    TITLE = "LMS (LTI 1.3) and campus sign-in"

    hub_password_login: bool = Field(
        True,
        description="Whether the platform's passwords log in to the hub; false when every "
        "login goes through the LMS or the campus OIDC provider.",
    )
    lti_roster_sync_interval: int = Field(
        3600,
        ge=0,
        description="Seconds between beat's NRPS roster syncs of every LMS course that offers "
        "one; 0 stops the schedule (syncs on request still run).",
    )
    oidc_issuer: str = Field(
        "",
        description="Campus OpenID Connect issuer (https://login.example.edu); set, the hub "
        "offers campus login and keys accounts by (issuer, sub). With the OAUTH_* names.",
    )
    oidc_login_service: str = Field(
        "your campus", description="Name on the hub's 'Sign in with ...' button."
    )
    oauth_client_id: str = Field("", description="Campus OIDC: the hub's client id.")
    oauth_client_secret: str = Field("", description="Campus OIDC: the hub's client secret.")
    oauth2_authorize_url: str = Field("", description="Campus OIDC: the authorization endpoint.")
    oauth2_token_url: str = Field("", description="Campus OIDC: the token endpoint.")
    oauth2_userdata_url: str = Field("", description="Campus OIDC: the userinfo endpoint.")
    oauth_callback_url: str = Field(
        "",
        description="Campus OIDC: the redirect URI registered with the provider; unset, "
        "<hub>/hub/oauth_callback.",
    )
