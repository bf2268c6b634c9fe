"""Flower, started with the launcher's command against the stack: closed without
credentials, and with them it lists the worker and the tasks it finished."""

from __future__ import annotations

import secrets

import httpx

from tests.integration.opsutil import start_flower, stop
from tests.support.api import ask, unique_prompt, wait_answer
from tests.support.eventually import eventually


def test_flower_needs_credentials_and_shows_worker_and_tasks(stack, api, make_user) -> None:
    password = secrets.token_urlsafe(12)
    proc, url = start_flower(stack.env, stack.log_dir / "flower.log", f"admin:{password}")
    auth = ("admin", password)
    try:
        for path in ("/", "/api/workers", "/api/tasks", "/tasks"):
            assert httpx.get(url + path, timeout=10).status_code == 401, path
        assert httpx.get(url + "/api/tasks", auth=("admin", "wrong"), timeout=10).status_code == 401

        user = make_user()
        ids = []
        for _ in range(2):
            r = ask(api, user.headers, unique_prompt("flower"))
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        for interaction_id in ids:
            assert wait_answer(api, user.headers, interaction_id)["status"] == "done"

        def finished() -> dict[str, dict]:
            tasks = httpx.get(url + "/api/tasks", auth=auth, timeout=10).json()
            return {
                i: t
                for t in tasks.values()
                for i in ids
                if t.get("name") == "tutor.answer"
                and i in str(t.get("args"))
                and t.get("state") == "SUCCESS"
            }

        eventually(lambda: len(finished()) == len(ids), 30, interval=0.5)
        done = finished()
        assert set(done) == set(ids), f"Flower saw {len(done)} of {len(ids)} finished tasks"
        assert all(t.get("runtime") is not None for t in done.values())

        workers = httpx.get(url + "/api/workers", params={"refresh": 1}, auth=auth, timeout=30)
        assert workers.status_code == 200
        assert any(name.startswith("worker@") for name in workers.json()), workers.text
    finally:
        stop(proc)
