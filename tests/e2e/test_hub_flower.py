"""Admins reach Flower through the hub: a JupyterHub service at /services/flower/ whose
login is the hub's OAuth (ainative.observability.flower_hub_auth), admins only.

One real Flower (the launcher's command) behind the session's real hub and its proxy;
the stack's real worker answers questions so Flower has tasks to show (or to withhold).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import TEST_ENV
from tests.integration.opsutil import METRICS_HEADERS, start_flower, stop
from tests.support.api import ask, register_user, unique_prompt, wait_answer
from tests.support.eventually import eventually

FLOWER = "/services/flower"
# Every page and API of Flower that shows task data or workers, and its metrics.
GUARDED = ("/", "/workers", "/tasks", "/api/workers", "/api/tasks", "/api/task/types", "/broker")


@pytest.fixture(scope="module")
def flower(hub, stack) -> Iterator[str]:
    """Flower behind the hub at /services/flower/, its hub service token shared (TEST_ENV)."""
    proc, _ = start_flower(
        stack.env,
        stack.log_dir / "flower-hub.log",
        prefix="services/flower",
        port=hub.flower_port,
        extra_env={"HUB_SERVICE_API_URL": f"http://127.0.0.1:{hub.api_port}/hub/api"},
    )
    try:
        # Workers start with task events off (WORKER_TASK_EVENTS); Flower switches them on.
        assert "task events: OFF" in _since_worker_start(stack)
        assert eventually(lambda: "enabled by remote" in _since_worker_start(stack), 60)
        yield hub.url + FLOWER
    finally:
        stop(proc)


def _since_worker_start(stack) -> str:
    """The shared worker's log since its latest start (its banner names the events' state)."""
    text = (stack.log_dir / "worker.log").read_text(errors="replace")
    return text[text.rfind("task events:") :]


@pytest.fixture(scope="module")
def answered(stack, flower) -> list[str]:
    """Two questions the real worker answered while Flower listened: its task data."""
    with httpx.Client(base_url=stack.api_url, timeout=40) as api:
        user = register_user(api, stack.database_url)
        ids = [ask(api, user.headers, unique_prompt("flower")).json()["id"] for _ in range(2)]
        for interaction_id in ids:
            assert wait_answer(api, user.headers, interaction_id)["status"] == "done"
    return ids


def _path(response: httpx.Response) -> str:
    return urlsplit(str(response.url)).path


def test_anonymous_visitor_is_sent_to_the_hub_login(flower, answered) -> None:
    with httpx.Client(timeout=30) as anonymous:
        for path in GUARDED:
            r = anonymous.get(flower + path, follow_redirects=True)
            assert _path(r) == "/hub/login", (path, r.url)
            assert not any(i in r.text for i in answered), path
        first = anonymous.get(flower + "/api/tasks")
        assert first.status_code == 302
        assert first.headers["location"].startswith(f"{FLOWER}/login?next="), first.headers


def test_attack_student_with_a_hub_login_cannot_open_flower(hub, make_user, flower, answered):
    """A student logged into the hub follows Flower's login (and forges its callback):
    403 and no task data, no Flower cookie, whatever the path."""
    student = make_user()
    client = hub.session(student.username, student.password)
    for path in GUARDED:
        r = client.get(flower + path, follow_redirects=True)
        assert r.status_code == 403, (path, r.status_code, r.url)
        assert not any(i in r.text for i in answered), path
        assert "tutor.answer" not in r.text, path
    # A made-up code at the callback, with the real state cookie Flower just set.
    start = client.get(f"{flower}/login")
    assert start.status_code == 302
    state = httpx.URL(start.headers["location"]).params["state"]
    forged = client.get(f"{flower}/login", params={"code": secrets.token_hex(16), "state": state})
    assert forged.status_code == 403, forged.text
    assert "user" not in {c.name for c in client.cookies.jar if c.path.startswith(FLOWER)}
    r = client.get(flower + "/api/tasks")
    assert r.status_code == 302 and "/login" in r.headers["location"]
    revoke = client.post(f"{flower}/api/task/revoke/{answered[0]}")
    assert revoke.status_code in (302, 403), revoke.status_code
    client.close()


def test_admin_sees_flower_with_workers_and_finished_tasks(hub, make_user, flower, answered):
    admin = make_user(roles=("admin",))
    client = hub.session(admin.username, admin.password)
    page = client.get(flower + "/", follow_redirects=True)
    assert page.status_code == 200, (page.status_code, page.url, page.text[:300])
    assert _path(page).startswith(FLOWER) and "Flower" in page.text

    def workers() -> dict:
        r = client.get(f"{flower}/api/workers", params={"refresh": 1})
        assert r.status_code == 200, r.text[:300]
        return r.json()

    assert eventually(lambda: any(n.startswith("worker@") for n in workers()), 60, interval=1)

    def finished() -> set[str]:
        tasks = client.get(f"{flower}/api/tasks").json()
        return {
            i
            for t in tasks.values()
            for i in answered
            if t.get("name") == "tutor.answer"
            and i in str(t.get("args"))
            and t.get("state") == "SUCCESS"
        }

    assert eventually(lambda: finished() == set(answered), 60, interval=0.5), finished()
    assert "worker@" in client.get(flower + "/workers").text
    client.close()


def test_attack_guessing_flower_basic_auth_gets_nothing(flower, answered) -> None:
    """Basic auth no longer opens anything: guesses (and the old style admin:admin)
    land on the hub's login, counted there, never on Flower's data."""
    guesses = ["admin:admin", "admin:password", f"admin:{secrets.token_urlsafe(12)}"]
    with httpx.Client(timeout=30) as guesser:
        for guess in guesses:
            header = {"Authorization": "Basic " + base64.b64encode(guess.encode()).decode()}
            for path in ("/api/tasks", "/api/workers", "/tasks", "/metrics"):
                r = guesser.get(flower + path, headers=header)
                assert r.status_code in (302, 401), (guess, path, r.status_code)
                assert not any(i in r.text for i in answered), (guess, path)
                assert "flower_events_total" not in r.text, (guess, path)
                if r.status_code == 302:
                    follow = guesser.get(flower + path, headers=header, follow_redirects=True)
                    assert _path(follow) == "/hub/login", (guess, path, follow.url)


def test_flower_metrics_need_the_monitoring_token(flower, make_user) -> None:
    student = make_user()
    for headers in ({}, student.headers, {"Authorization": "Bearer wrong"}):
        r = httpx.get(flower + "/metrics", headers=headers, timeout=10)
        assert r.status_code == 401, (headers, r.status_code)
        assert "flower_" not in r.text
    r = httpx.get(flower + "/metrics", headers=METRICS_HEADERS, timeout=10)
    assert r.status_code == 200 and "flower_" in r.text
    assert TEST_ENV["METRICS_TOKEN"] not in r.text
