"""Finding 20.2: a student's single-user server must not hold the student's whole account.

Whoever can open the server (code the student runs, an instructor or admin through the
hub's access scopes) reads its environment. These tests take exactly what the real
authenticator's pre_spawn_start puts there and use it against the real API: the
account's own endpoints refuse it, the widget's accept it, and any number of kernels
(and a restarted one) renew it without tripping refresh-token reuse detection.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from ainative.hub.authenticator import AINativeAuthenticator
from ainative.notebook.tokens import TokenStore

HANDLER = SimpleNamespace(request=SimpleNamespace(remote_ip="127.0.0.9"))


class HubUser:
    """The name and the two auth_state methods of jupyterhub.user.User."""

    def __init__(self, name: str, state: dict[str, Any] | None) -> None:
        self.name, self.state = name, state

    async def get_auth_state(self) -> dict[str, Any] | None:
        return self.state

    async def save_auth_state(self, state: dict[str, Any]) -> None:
        self.state = state


@pytest.fixture
def spawn(stack, make_user):
    """Log a fresh student into the real authenticator and spawn: (student, server env)."""
    auth = AINativeAuthenticator(
        database_url=stack.database_url, redis_url=stack.services.redis_url, api_url=stack.api_url
    )

    async def run() -> tuple[Any, dict[str, str], HubUser]:
        student = make_user()
        model = await auth.get_authenticated_user(
            HANDLER, {"username": student.username, "password": student.password}
        )
        user = HubUser(model["name"], model["auth_state"])
        spawner = SimpleNamespace(environment={})
        await auth.pre_spawn_start(user, spawner)
        return student, spawner.environment, user

    return run


def kernel(env: dict[str, str]) -> TokenStore:
    """A kernel's token store, built from the server's environment as a kernel builds it."""
    extra = {"server_key": env["AINATIVE_SERVER_KEY"]} if "AINATIVE_SERVER_KEY" in env else {}
    return TokenStore(
        env["AINATIVE_API_URL"],
        env["AINATIVE_ACCESS_TOKEN"],
        env.get("AINATIVE_REFRESH_TOKEN", ""),
        **extra,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_attack_server_environment_cannot_reach_the_account(api, spawn) -> None:
    student, env, _ = await spawn()
    stolen = bearer(env["AINATIVE_ACCESS_TOKEN"])
    # What the widget needs still works with it.
    assert api.get("/api/v1/events/limits", headers=stolen).status_code == 200
    assert api.get("/api/v1/courses", params={"mine": "true"}, headers=stolen).status_code == 200
    assert api.get("/api/v1/tutor/requests", headers=stolen).status_code == 200
    # The account does not.
    attacks = [
        api.get("/api/v1/me/data", headers=stolen),
        api.patch("/api/v1/auth/me", json={"research_consent": False}, headers=stolen),
        api.delete("/api/v1/me/data", params={"keep_account": "false"}, headers=stolen),
        api.post("/api/v1/auth/hub-token", headers=stolen),
        api.get("/api/v1/auth/me", headers=stolen),
        api.post(
            "/api/v1/auth/change-password",
            json={"current_password": student.password, "new_password": "Taken-over-9"},
            headers=stolen,
        ),
    ]
    for r in attacks:
        assert r.status_code == 403, (r.request.method, r.request.url, r.status_code, r.text)
        assert "notebook server's token" in r.json()["detail"]
    # Nothing in the environment is a refresh token, nor renews into a full token.
    for value in env.values():
        r = api.post("/api/v1/auth/refresh", json={"refresh_token": value})
        assert r.status_code in (401, 422), r.text
    renewed = api.post("/api/v1/auth/server-token", json={"server_key": env["AINATIVE_SERVER_KEY"]})
    assert renewed.status_code == 200, renewed.text
    again = bearer(renewed.json()["access_token"])
    assert api.get("/api/v1/me/data", headers=again).status_code == 403
    # The student's own login was never touched.
    me = api.get("/api/v1/auth/me", headers=student.headers)
    assert me.status_code == 200 and me.json()["research_consent"] is True


async def test_attack_two_kernels_and_a_restart_keep_the_login(api, spawn) -> None:
    """Kernels renewing at once, and one started after a renewal, all keep working."""
    student, env, _ = await spawn()
    kernels = [kernel(env) for _ in range(3)]
    errors: list[BaseException] = []

    def renew(store: TokenStore) -> None:
        try:
            store.refresh()
        except BaseException as exc:  # collected: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=renew, args=(k,)) for k in kernels]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    restarted = kernel(env)  # a kernel restart reads the same environment again
    restarted.refresh()
    for store in [*kernels, restarted]:
        assert store.access_token != env["AINATIVE_ACCESS_TOKEN"]
        r = api.get("/api/v1/events/limits", headers=bearer(store.access_token))
        assert r.status_code == 200, r.text
    # and once more each, later: nothing was spent
    for store in kernels:
        store.refresh()
        assert api.get("/api/v1/tutor/quota", headers=bearer(store.access_token)).status_code in (
            200,
            404,  # no course: the token was accepted
        )
    assert api.get("/api/v1/auth/me", headers=student.headers).status_code == 200


async def test_attack_server_key_dies_with_a_password_change(api, spawn) -> None:
    student, env, _ = await spawn()
    r = api.post(
        "/api/v1/auth/change-password",
        json={"current_password": student.password, "new_password": "Another-pass-2"},
        headers=student.headers,
    )
    assert r.status_code == 204, r.text
    assert (
        api.get("/api/v1/events/limits", headers=bearer(env["AINATIVE_ACCESS_TOKEN"])).status_code
        == 401
    )
    refused = api.post("/api/v1/auth/server-token", json={"server_key": env["AINATIVE_SERVER_KEY"]})
    assert refused.status_code == 401, refused.text


async def test_attack_stopped_server_key_renews_nothing(api, stack, spawn) -> None:
    _, env, user = await spawn()
    auth = AINativeAuthenticator(database_url=stack.database_url, api_url=stack.api_url)
    await auth.post_spawn_stop(user, SimpleNamespace(environment=env))
    refused = api.post("/api/v1/auth/server-token", json={"server_key": env["AINATIVE_SERVER_KEY"]})
    assert refused.status_code == 401, refused.text


def test_server_token_endpoint_refuses_other_tokens(api, make_user) -> None:
    student = make_user()
    for value in (student.refresh_token, student.access_token, "x"):
        r = api.post("/api/v1/auth/server-token", json={"server_key": value})
        assert r.status_code == 401, r.text
