"""POST /api/v1/auth/hub-token: a single-use hub login link for the caller."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from ainative.auth.tokens import decode_token, issue_access_token


@pytest.fixture
def client(services):
    from api.main import create_app

    with TestClient(create_app()) as c:
        yield c


def test_hub_token_needs_a_logged_in_user(client):
    assert client.post("/api/v1/auth/hub-token").status_code == 401


@pytest.mark.parametrize("next_path", [None, "/hub/spawn"])
def test_hub_token_is_a_login_link_for_the_caller(client, next_path):
    access = issue_access_token(42, "alice", ["student"]).token
    body = {"next": next_path} if next_path else None
    r = client.post(
        "/api/v1/auth/hub-token", json=body, headers={"Authorization": f"Bearer {access}"}
    )
    assert r.status_code == 200, r.text
    data = r.json()
    claims = decode_token(data["token"], "login")
    assert claims["sub"] == "42" and claims["username"] == "alice"
    assert 0 < data["expires_in"] <= 120 and claims["exp"] - claims["iat"] <= 120
    link = urlsplit(data["login_url"])
    assert link.path == "/hub/login"
    query = parse_qs(link.query)
    assert query["token"] == [data["token"]]
    assert query.get("next") == ([next_path] if next_path else None)


@pytest.mark.parametrize("next_path", ["//evil.example/x", "https://evil.example/", "hub"])
def test_hub_token_refuses_foreign_next(client, next_path):
    access = issue_access_token(42, "alice", ["student"]).token
    r = client.post(
        "/api/v1/auth/hub-token",
        json={"next": next_path},
        headers={"Authorization": f"Bearer {access}"},
    )
    assert r.status_code == 422
    assert "next must be a path" in r.json()["detail"]
