"""Shared fixtures: real PostgreSQL, Redis, Celery worker and API, started once a session.

Every server fixture is lazy: nothing starts until a test asks for it, and tests under
tests/unit may not ask (`make test-fast` runs with no server at all). Tests that need a
database get their own (`fresh_database_url`, a copy of the migrated template);
integration tests share one started stack (`stack`, its database as `db`) and keep apart
by creating their own users (`make_user`); a test that kills or restarts processes starts
a stack of its own (`own_stack`). What tests build and call beside fixtures is in
tests/support; a test's markers come from its directory.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import Engine, create_engine

from tests.fakes.openai_server import FakeOpenAIServer
from tests.stack import Services, Stack, start_services
from tests.support.api import TestUser, register_user

OUTPUT_DIR = Path(__file__).parent / "output"
TEST_ENV = {
    "ENVIRONMENT": "test",
    "BCRYPT_ROUNDS": "4",
    "JWT_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    "DB_POOL_SIZE": "5",
    "DB_MAX_OVERFLOW": "5",
    "LLM_PROVIDER": "offline",
    "SWEEPER_INTERVAL_SECONDS": "2",
    "SWEEPER_STALE_SECONDS": "8",
    "WORKER_CONCURRENCY": "4",
    "REGISTER_RATE_LIMIT": "1000",
    "LOGIN_RATE_LIMIT": "1000",
    "LOG_FORMAT": "json",  # tests read the stack's logs line by line
    "WORKER_METRICS_PORT": "0",  # tests that scrape a worker start one on a free port
    # Prometheus's bearer token for every /metrics (tests.integration.opsutil sends it).
    "METRICS_TOKEN": "test-metrics-token-that-is-long-enough-0123",
    # The hub service `flower` (its OAuth secret), shared by the e2e hub and Flower.
    "FLOWER_HUB_TOKEN": "test-flower-hub-token-that-is-long-enough-01",
    # No hub answers here: a deleted account's hub part stays queued (tests/e2e has a hub).
    "HUB_SERVICE_API_URL": "http://127.0.0.1:9/hub/api",
}


# Fixtures that start a server (directly or through another fixture).
SERVER_FIXTURES = frozenset({"services", "fresh_database_url", "stack", "api", "make_user", "db"})
TESTS_DIR = Path(__file__).parent
UNIT_DIR = TESTS_DIR / "unit"
# A test's directory says what it needs (pyproject.toml describes the markers).
DIRECTORY_MARKERS = {"integration": "integration", "e2e": "e2e", "faults": "faults"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by its directory; refuse a unit test that would start a server (it
    belongs in tests/integration)."""
    for item in items:
        if item.path.is_relative_to(TESTS_DIR):
            marker = DIRECTORY_MARKERS.get(item.path.relative_to(TESTS_DIR).parts[0])
            if marker is not None:
                item.add_marker(marker)
    offenders = [
        item.nodeid
        for item in items
        if item.path.is_relative_to(UNIT_DIR)
        and SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    ]
    if offenders:
        raise pytest.UsageError(
            "unit tests must run without servers; move these to tests/integration: "
            + ", ".join(offenders)
        )


def _reset_settings() -> None:
    from ainative.config import get_settings

    get_settings.cache_clear()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(scope="session")
def services(output_dir: Path) -> Iterator[Services]:
    """Database server and Redis for the whole session; env points at a template copy."""
    saved = dict(os.environ)
    os.environ.update(TEST_ENV)
    svc = start_services(output_dir / f"services-{os.getpid()}")
    db_url = svc.create_database("session")
    os.environ["DATABASE_URL"] = db_url
    os.environ["REDIS_URL"] = svc.redis_url
    _reset_settings()
    try:
        yield svc
    finally:
        svc.stop()
        os.environ.clear()
        os.environ.update(saved)
        _reset_settings()


@pytest.fixture
def fresh_database_url(services: Services) -> Iterator[str]:
    """A database of this test's own, migrated (copied from the template)."""
    url = services.create_database()
    yield url
    services.drop_database(url)


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm_control(fake_llm: FakeOpenAIServer) -> Iterator[Callable[..., None]]:
    """Set the fake LLM's latency/reply/failures for one test; restored afterwards."""

    def control(**kwargs: object) -> None:
        httpx.post(f"{fake_llm.root_url}/_control", json=kwargs, timeout=5).raise_for_status()

    yield control
    control(
        latency=0.0,
        fail_next=0,
        fail_status=500,
        clear=True,
        reply=_default_reply(),
        fail_mode="status",
        retry_after=None,
        echo_system=False,
        served_model=None,
    )


def _default_reply() -> str:
    from tests.fakes.openai_server import DEFAULT_REPLY

    return DEFAULT_REPLY


def stack_env(database_url: str, redis_url: str, fake_llm: FakeOpenAIServer) -> dict[str, str]:
    """The environment of a test stack's processes."""
    return {
        **TEST_ENV,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "OPENAI_BASE_URL": fake_llm.base_url,
        "OPENAI_API_KEY": "sk-fake-test-key",
        "LLM_MODEL": "fake-model",
        # Policies in the tests name either provider (with the default model).
        "TUTOR_MODELS": "offline:fake-model,openai:fake-model",
    }


@pytest.fixture(scope="session")
def stack(services: Services, fake_llm: FakeOpenAIServer, output_dir: Path) -> Iterator[Stack]:
    """API + Celery worker + beat, real subprocesses, shared by all integration tests."""
    log_dir = output_dir / "stack-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = stack_env(os.environ["DATABASE_URL"], services.redis_url, fake_llm)
    st = Stack(services=services, env=env, log_dir=log_dir)
    try:
        st.start_platform()
        yield st
    finally:
        st.stop()


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, timeout=40) as client:
        yield client


@pytest.fixture(scope="session")
def db(stack: Stack) -> Iterator[Engine]:
    """An engine on the shared stack's database."""
    engine = create_engine(stack.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def make_user(api: httpx.Client, stack: Stack) -> Callable[..., TestUser]:
    """Register and log in a fresh user on the shared stack."""

    def make(roles: tuple[str, ...] = ("student",), consent: bool = True) -> TestUser:
        return register_user(api, stack.database_url, roles, consent)

    return make


@dataclass
class OwnStack:
    """A stack of one test's own: its processes, an API client and user maker."""

    stack: Stack
    api: httpx.Client

    def make_user(self, roles: tuple[str, ...] = ("student",), consent: bool = True) -> TestUser:
        return register_user(self.api, self.stack.database_url, roles, consent)


def other_redis_db(redis_url: str) -> str:
    """The same Redis server, the next database number (0-15)."""
    parts = urlsplit(redis_url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db + 1) % 16}"))


@contextlib.contextmanager
def start_own_stack(
    services: Services,
    fake_llm: FakeOpenAIServer,
    output_dir: Path,
    extra_env: dict[str, str] | None = None,
) -> Iterator[OwnStack]:
    """API, Celery worker and beat of a test's own, on its own database and Redis database.

    The broker queue, the worker presence and the sweeper are all separate, so the shared
    worker never sees these tasks and nothing the test does to its processes (killing a
    worker, exhausting a pool) reaches other tests.
    """
    database_url = services.create_database("own")
    log_dir = output_dir / "stack-logs" / f"own-{uuid.uuid4().hex[:8]}"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = stack_env(database_url, other_redis_db(services.redis_url), fake_llm)
    st = Stack(services=services, env={**env, **(extra_env or {})}, log_dir=log_dir)
    try:
        st.start_platform()
        with httpx.Client(base_url=st.api_url, timeout=40) as client:
            yield OwnStack(st, client)
    finally:
        st.stop()
        services.drop_database(database_url)


@pytest.fixture
def own_stack(
    services: Services, fake_llm: FakeOpenAIServer, output_dir: Path
) -> Iterator[OwnStack]:
    """A stack of this test's own, for tests that kill or restart its processes."""
    with start_own_stack(services, fake_llm, output_dir) as own:
        yield own
