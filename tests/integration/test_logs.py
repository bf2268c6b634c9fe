"""Log lines of one interaction carry the same ids in API and worker, and no secret.

Reads the stack's own logs (LOG_FORMAT=json in the test environment): the API's
access lines and the worker's task lines for one tutoring request must agree on the
interaction id and the request id (carried in the Celery message headers), and no
password, token, API key, secret setting or prompt may appear in any process's log.
"""

from __future__ import annotations

import uuid

from tests.integration.opsutil import json_lines
from tests.support.api import wait_answer
from tests.support.eventually import eventually


def _lines_for(stack, process: str, interaction_id: str) -> list[dict]:
    return [
        line
        for line in json_lines(stack.log_dir / f"{process}.log")
        if str(line.get("interaction_id")) == interaction_id
    ]


def test_interaction_lines_share_ids_and_hide_secrets(stack, api, make_user) -> None:
    user = make_user()
    secret_marker = f"hunter2-{uuid.uuid4().hex}"
    prompt = f"my password is {secret_marker}; why is my for loop off by one?"
    r = api.post(
        "/api/v1/tutor/requests", json={"prompt": prompt, "mode": "socratic"}, headers=user.headers
    )
    assert r.status_code == 202, r.text
    request_id = r.headers["x-request-id"]
    interaction_id = r.json()["id"]
    assert wait_answer(api, user.headers, interaction_id)["status"] == "done"
    # A failed login with a password in the body and a bogus bearer token in a header.
    api.post("/api/v1/auth/login", json={"username": user.username, "password": secret_marker})
    api.get("/api/v1/tutor/quota", headers={"Authorization": f"Bearer {secret_marker}"})

    eventually(
        lambda: (
            _lines_for(stack, "api", interaction_id)
            and any(
                "answered" in w.get("msg", "") for w in _lines_for(stack, "worker", interaction_id)
            )
        ),
        10,
    )
    api_lines = _lines_for(stack, "api", interaction_id)
    worker_lines = _lines_for(stack, "worker", interaction_id)
    assert api_lines, "no API line names the interaction"
    assert worker_lines, "no worker line names the interaction"
    post_lines = [line for line in api_lines if line.get("request_id") == request_id]
    assert post_lines and post_lines[0]["user_id"] == user.id
    assert post_lines[0]["route"] == "/api/v1/tutor/requests"
    assert {w.get("request_id") for w in worker_lines} == {request_id}
    assert all(w.get("task_id") for w in worker_lines)
    assert all(set(line) >= {"ts", "level", "logger", "msg", "pid"} for line in api_lines)

    secrets = {
        "prompt text": secret_marker,
        "password": user.password,
        "access token": user.access_token,
        "refresh token": user.refresh_token,
        "JWT secret": stack.env["JWT_SECRET_KEY"],
        "OpenAI key": stack.env["OPENAI_API_KEY"],
    }
    for path in stack.log_dir.glob("*.log"):
        text = path.read_text(errors="replace")
        leaked = [name for name, value in secrets.items() if value in text]
        assert not leaked, f"{path.name} contains {leaked}"
