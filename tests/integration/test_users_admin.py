"""User administration over HTTP, and the `ainative users` command."""

from __future__ import annotations

import uuid

import httpx
import pytest

ADMIN_ENDPOINTS = [
    (
        "POST",
        "/api/v1/users",
        {"email": "x@example.org", "username": "xyz", "password": "Ab1-xxxx"},
    ),
    ("GET", "/api/v1/users", None),
    ("GET", "/api/v1/users/1", None),
    ("PATCH", "/api/v1/users/1", {"roles": ["admin"]}),
]


def new_account(**extra: object) -> dict:
    name = f"m{uuid.uuid4().hex[:10]}"
    return {"email": f"{name}@example.org", "username": name, "password": "Secret-pass-1", **extra}


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ENDPOINTS)
@pytest.mark.parametrize("roles", [("student",), ("instructor",)])
def test_admin_endpoints_refuse_non_admins(api, make_user, roles, method, path, body) -> None:
    user = make_user(roles=roles)
    r = api.request(method, path, json=body, headers=user.headers)
    assert r.status_code == 403, r.text
    assert "admin" in r.json()["detail"]


def test_admin_creates_user_with_roles_who_can_log_in(api: httpx.Client, make_user) -> None:
    admin = make_user(roles=("admin",))
    account = new_account(roles=["instructor", "student"], is_verified=True)
    r = api.post("/api/v1/users", json=account, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert r.json()["roles"] == ["student", "instructor"]
    assert r.json()["is_verified"] is True
    login = api.post(
        "/api/v1/auth/login",
        json={"username": account["username"], "password": account["password"]},
    )
    assert login.status_code == 200
    again = api.post("/api/v1/users", json=account, headers=admin.headers)
    assert again.status_code == 409


def test_admin_create_refuses_unknown_role_and_weak_password(api, make_user) -> None:
    admin = make_user(roles=("admin",))
    r = api.post("/api/v1/users", json=new_account(roles=["root"]), headers=admin.headers)
    assert r.status_code == 422 and "roles" in r.json()["detail"]
    r = api.post("/api/v1/users", json=new_account(password="password"), headers=admin.headers)
    assert r.status_code == 422 and "password must be" in r.json()["detail"]


def test_list_users_is_paginated(api: httpx.Client, make_user) -> None:
    admin = make_user(roles=("admin",))
    make_user()
    make_user()
    page = api.get("/api/v1/users", params={"limit": 2}, headers=admin.headers).json()
    assert len(page["data"]) == 2 and page["count"] >= 3
    nxt = api.get("/api/v1/users", params={"limit": 2, "offset": 2}, headers=admin.headers).json()
    assert {u["id"] for u in page["data"]}.isdisjoint({u["id"] for u in nxt["data"]})
    r = api.get("/api/v1/users", params={"limit": 0}, headers=admin.headers)
    assert r.status_code == 422


def test_deactivation_cuts_off_access_and_refresh_at_once(api: httpx.Client, make_user) -> None:
    admin = make_user(roles=("admin",))
    student = make_user()
    assert api.get("/api/v1/auth/me", headers=student.headers).status_code == 200
    r = api.patch(f"/api/v1/users/{student.id}", json={"is_active": False}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["is_active"] is False

    me = api.get("/api/v1/auth/me", headers=student.headers)
    assert me.status_code == 401 and "deactivated" in me.json()["detail"]
    refresh = api.post("/api/v1/auth/refresh", json={"refresh_token": student.refresh_token})
    assert refresh.status_code == 401
    login = api.post(
        "/api/v1/auth/login", json={"username": student.username, "password": student.password}
    )
    assert login.status_code == 403 and "deactivated" in login.json()["detail"]

    r = api.patch(f"/api/v1/users/{student.id}", json={"is_active": True}, headers=admin.headers)
    assert r.status_code == 200
    login = api.post(
        "/api/v1/auth/login", json={"username": student.username, "password": student.password}
    )
    assert login.status_code == 200
    fresh = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert api.get("/api/v1/auth/me", headers=fresh).status_code == 200


def test_role_change_reaches_tokens_on_refresh(api: httpx.Client, make_user) -> None:
    admin = make_user(roles=("admin",))
    user = make_user()
    r = api.patch(
        f"/api/v1/users/{user.id}", json={"roles": ["student", "admin"]}, headers=admin.headers
    )
    assert r.status_code == 200 and r.json()["roles"] == ["student", "admin"]
    assert api.get("/api/v1/users", headers=user.headers).status_code == 401  # old generation
    pair = api.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}).json()
    promoted = {"Authorization": f"Bearer {pair['access_token']}"}
    assert api.get("/api/v1/users", headers=promoted).status_code == 200


def test_admin_cannot_lock_themselves_out(api: httpx.Client, make_user) -> None:
    admin = make_user(roles=("admin",))
    for body in ({"is_active": False}, {"roles": ["student"]}):
        r = api.patch(f"/api/v1/users/{admin.id}", json=body, headers=admin.headers)
        assert r.status_code == 409


def test_patch_unknown_user_is_404_and_unknown_field_422(api, make_user) -> None:
    admin = make_user(roles=("admin",))
    assert api.patch("/api/v1/users/999999", json={}, headers=admin.headers).status_code == 404
    r = api.patch(f"/api/v1/users/{admin.id}", json={"password": "x"}, headers=admin.headers)
    assert r.status_code == 422


def test_cli_creates_lists_sets_roles_and_deactivates(services, capsys) -> None:
    from ainative.cli import main
    from ainative.config import get_settings

    get_settings.cache_clear()
    name = f"c{uuid.uuid4().hex[:10]}"
    args = ["users", "create", "--username", name, "--email", f"{name}@example.org"]
    assert main([*args, "--password", "Secret-pass-1", "--role", "admin", "--consent"]) == 0
    assert "roles admin" in capsys.readouterr().out
    assert main([*args, "--password", "Secret-pass-1"]) == 1
    assert "already registered" in capsys.readouterr().err
    assert main(["users", "set-role", name, "instructor", "student"]) == 0
    assert "roles student,instructor" in capsys.readouterr().out
    # the shared stack holds hundreds of users by now: list them all (the default is 200)
    assert main(["users", "list", "--limit", "100000"]) == 0
    assert name in capsys.readouterr().out
    assert main(["users", "deactivate", name]) == 0
    assert "access tokens cut off" in capsys.readouterr().out
    assert main(["users", "deactivate", "no-such-user-x"]) == 1


def test_cli_deactivation_stops_live_access_token(api: httpx.Client, make_user) -> None:
    from ainative.cli import main

    user = make_user()
    assert main(["users", "deactivate", user.username]) == 0
    me = api.get("/api/v1/auth/me", headers=user.headers)
    assert me.status_code == 401 and "deactivated" in me.json()["detail"]
