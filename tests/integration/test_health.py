"""Health: healthy on the running stack; degraded without Redis; unhealthy without the database.

The outage cases run the API in this process (FastAPI's TestClient) against a closed
port, so the shared stack's Redis and database stay up for the other tests.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from ainative.config import get_settings
from ainative.runtime.devservices import free_port


def test_stack_is_healthy(api, make_user) -> None:
    admin = make_user(roles=("admin",))
    r = api.get("/api/v1/health/details", headers=admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "healthy", body
    assert body["database"]["status"] == "up" and "size" in body["database"]["pool"]
    assert body["cache"]["status"] == "up" and body["cache"]["backend"] == "redis"
    assert body["broker"]["status"] == "up" and body["broker"]["notifier"] == "up"
    assert body["workers"]["count"] >= 1 and body["workers"]["status"] == "up"
    assert body["version"] and body["timestamp"] and body["reasons"] == []


def _local_app(monkeypatch, **env: str) -> TestClient:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    from api.main import create_app

    return TestClient(create_app(get_settings()))


@pytest.fixture
def restore_settings():
    yield
    get_settings.cache_clear()


def test_redis_down_is_degraded_and_submit_says_the_queue_is_unavailable(
    monkeypatch, stack, make_user, restore_settings
) -> None:
    student = make_user()
    admin = make_user(roles=("admin",))
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with _local_app(monkeypatch, REDIS_URL=dead) as client:
        public = client.get("/api/v1/health")
        assert public.status_code == 200, public.text
        assert public.json() == {
            "status": "degraded",
            "components": {
                "database": "ok",
                "cache": "degraded",
                "broker": "down",
                "workers": "degraded",
            },
        }
        r = client.get("/api/v1/health/details", headers=admin.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "degraded"
        assert body["database"]["status"] == "up"
        assert body["cache"]["status"] == "memory-fallback" and body["cache"]["backend"] == "memory"
        assert body["broker"]["status"] == "down"
        assert any("Redis unreachable" in reason for reason in body["reasons"])

        ask = client.post(
            "/api/v1/tutor/requests",
            json={"prompt": f"What is a closure? {uuid.uuid4().hex}"},
            headers=student.headers,
        )
        assert ask.status_code == 503, ask.text
        assert "queue is unavailable" in ask.json()["detail"]


def test_database_down_is_unhealthy_not_a_500(
    monkeypatch, stack, make_user, restore_settings
) -> None:
    admin = make_user(roles=("admin",))
    dead = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"
    with _local_app(monkeypatch, DATABASE_URL=dead, DB_CONNECT_TIMEOUT="1") as client:
        public = client.get("/api/v1/health")
        r = client.get("/api/v1/health/details", headers=admin.headers)
    assert public.status_code == 503 and public.json()["components"]["database"] == "down"
    assert "nobody" not in public.text
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["status"] == "unhealthy" and body["database"]["status"] == "down"
    assert any(reason.startswith("database:") for reason in body["reasons"])
