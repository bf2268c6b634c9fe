"""Issue 20.5 against a real JupyterHub: a deleted account's hub user, running server and
home are removed, and a new account under the same name is refused and inherits nothing.

A hub of this module's own holds the service `ainative-api` with a token, and an API of
the module's own (same database) holds that token and the hub's REST URL.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from ainative.runtime.devservices import free_port
from tests.e2e.conftest import Hub, running_hub
from tests.e2e.jupyter import start_server
from tests.stack import Stack
from tests.support.api import PASSWORD
from tests.support.eventually import eventually

SERVICE_TOKEN = secrets.token_hex(24)


@pytest.fixture(scope="module")
def deleting(stack: Stack, output_dir: Path) -> Iterator[tuple[Hub, Stack]]:
    """The hub with the service token, and an API that removes deleted accounts from it."""
    port = free_port()
    env = {"HUB_SERVICE_TOKEN": SERVICE_TOKEN}
    api_env = {**stack.env, **env, "HUB_SERVICE_API_URL": f"http://127.0.0.1:{port}/hub/api"}
    log_dir = output_dir / "stack-logs"
    api = Stack(services=stack.services, env=api_env, log_dir=log_dir)
    data_dir = output_dir / f"hub-deletion-{uuid.uuid4().hex[:6]}"
    with running_hub(stack, data_dir, name="hub-deletion", extra_env=env, port=port) as hub:
        api.start_api()
        try:
            yield hub, api
        finally:
            api.stop()


def test_attack_a_deleted_account_leaves_no_hub_user_server_or_home(
    deleting: tuple[Hub, Stack], make_user
) -> None:
    hub, api = deleting
    student = make_user()
    name = student.username.lower()
    session = hub.session(student.username, student.password)
    hub_token = hub.api_token(session, name)
    server = start_server(hub.url, name, hub_token)
    home = hub.data_dir / "hub" / "users" / name
    assert (home / "tutor.ipynb").exists()
    (home / "private-notes.py").write_text("my solution to assignment 3\n")

    with httpx.Client(base_url=api.api_url, timeout=120) as client:
        r = client.delete(
            "/api/v1/me/data", headers=student.headers, params={"keep_account": "false"}
        )
    assert r.status_code == 200 and r.json()["account_deleted"] is True, r.text

    # The hub user went at once: its token, its server and its home with it.
    auth = {"Authorization": f"token {hub_token}"}
    assert httpx.get(f"{hub.url}/hub/api/users/{name}", headers=auth).status_code in (403, 404)
    assert eventually(lambda: not home.exists(), 30), "the home outlived the account"
    assert eventually(
        lambda: httpx.get(f"{server}/api/status", headers=auth).status_code != 200, 30
    ), "the server still answers"
    engine = create_engine(hub.stack.database_url)
    try:
        with engine.connect() as conn:
            queued = conn.execute(
                text("SELECT 1 FROM hub_deletions WHERE hub_name = :n"), {"n": name}
            ).first()
    finally:
        engine.dispose()
    assert queued is None, "the hub confirmed: nothing left to retry"

    # Someone signs up under the same name: refused, and the hub has nothing for them.
    with httpx.Client(base_url=api.api_url, timeout=60) as client:
        again = client.post(
            "/api/v1/auth/register",
            json={"username": student.username, "email": "new@example.org", "password": PASSWORD},
        )
    assert again.status_code == 409 and "deleted account" in again.text
    assert hub.login(student.username, student.password).status_code == 403
    assert not home.exists()
