"""Flower, started with the launcher's command against the stack: closed to anyone
without its hub login (ainative.observability.flower_hub_auth), its metrics to anyone
without the monitoring token; production refuses a weak optional basic-auth password."""

from __future__ import annotations

import os
import secrets
import subprocess

import httpx

from ainative.config import Settings
from ainative.runtime.devservices import free_port
from ainative.runtime.processes import flower_command
from tests.integration.opsutil import METRICS_HEADERS, start_flower, stop
from tests.stack import REPO_ROOT
from tests.support.api import ask, unique_prompt, wait_answer
from tests.support.eventually import eventually


def test_flower_without_a_hub_login_shows_nothing(stack, api, make_user) -> None:
    """Flower's pages and API send anyone without its hub login to the login; /metrics
    opens only with the monitoring token. The task data it holds stays inside (the
    admin's view is tests/e2e/test_hub_flower.py, with the real hub)."""
    proc, url = start_flower(stack.env, stack.log_dir / "flower.log")
    try:
        user = make_user()
        r = ask(api, user.headers, unique_prompt("flower"))
        assert r.status_code == 202, r.text
        interaction_id = r.json()["id"]
        assert wait_answer(api, user.headers, interaction_id)["status"] == "done"

        for path in ("/", "/api/workers", "/api/tasks", "/tasks", f"/task/{interaction_id}"):
            for headers in ({}, user.headers, {"Authorization": "Basic YWRtaW46YWRtaW4="}):
                closed = httpx.get(url + path, headers=headers, timeout=10)
                assert closed.status_code == 302, (path, closed.status_code)
                assert closed.headers["location"].startswith("/login?next="), closed.headers
                assert interaction_id not in closed.text, path
        assert httpx.get(url + "/metrics", headers=user.headers, timeout=10).status_code == 401

        def counted() -> bool:
            r = httpx.get(url + "/metrics", headers=METRICS_HEADERS, timeout=10)
            assert r.status_code == 200, r.status_code
            return 'flower_events_total{task="tutor.answer"' in r.text

        assert eventually(counted, 30, interval=0.5), "Flower saw no tutor.answer event"
    finally:
        stop(proc)


def test_attack_production_flower_refuses_a_guessable_password(stack) -> None:
    """admin:admin in production: the real Flower must refuse to start, naming the setting
    (Flower counts no failed basic-auth attempts, so only a strong password stops guessing)."""
    env = {**os.environ, **stack.env, "ENVIRONMENT": "production"}
    env.update(FLOWER_BASIC_AUTH="admin:admin", FLOWER_PORT=str(free_port()))
    # Every other production rule satisfied, so the refusal is about Flower's password.
    env.update(
        JWT_SECRET_KEY=secrets.token_hex(32),
        PSEUDONYM_KEY=secrets.token_hex(32),
        METRICS_TOKEN=secrets.token_hex(32),
        FLOWER_HUB_TOKEN=secrets.token_hex(32),
        BCRYPT_ROUNDS="12",
        REDIS_URL="redis://worker:not-reached@127.0.0.1:9/0",
    )
    proc = subprocess.run(
        flower_command(), cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    assert "FLOWER_BASIC_AUTH: the password of 'admin' is weak" in proc.stderr, proc.stderr[-2000:]
    strong = Settings(_env_file=None, flower_basic_auth=f"admin:{secrets.token_urlsafe(18)}")
    assert strong.flower_password_problems() == []
