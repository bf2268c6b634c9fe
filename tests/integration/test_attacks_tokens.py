"""Finding 11: tokens issued before a password or role change stop at once.

The attacks: a thief holding a stolen access token after the victim changed their
password; a demoted instructor or admin still using their old token's roles.
"""

from __future__ import annotations


def test_attack_stolen_access_token_dies_with_a_password_change(api, make_user) -> None:
    victim = make_user()
    stolen = api.post(
        "/api/v1/auth/login", json={"username": victim.username, "password": victim.password}
    ).json()["access_token"]
    thief = {"Authorization": f"Bearer {stolen}"}
    assert api.get("/api/v1/auth/me", headers=thief).status_code == 200
    r = api.post(
        "/api/v1/auth/change-password",
        json={"current_password": victim.password, "new_password": "Another-pass-2"},
        headers=victim.headers,
    )
    assert r.status_code == 204, r.text
    refused = api.get("/api/v1/auth/me", headers=thief)
    assert refused.status_code == 401 and "log in again" in refused.json()["detail"]
    assert api.get("/api/v1/auth/me", headers=victim.headers).status_code == 401
    fresh = api.post(
        "/api/v1/auth/login", json={"username": victim.username, "password": "Another-pass-2"}
    )
    assert fresh.status_code == 200, fresh.text
    mine = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
    assert api.get("/api/v1/auth/me", headers=mine).status_code == 200


def test_attack_demoted_admin_keeps_no_admin_token(api, make_user) -> None:
    boss, demoted = make_user(roles=("admin",)), make_user(roles=("student", "admin"))
    assert api.get("/api/v1/users", headers=demoted.headers).status_code == 200
    r = api.patch(f"/api/v1/users/{demoted.id}", json={"roles": ["student"]}, headers=boss.headers)
    assert r.status_code == 200, r.text
    assert api.get("/api/v1/users", headers=demoted.headers).status_code == 401
    # The refresh token still works and gives a token with the new roles only.
    pair = api.post("/api/v1/auth/refresh", json={"refresh_token": demoted.refresh_token})
    assert pair.status_code == 200, pair.text
    now = {"Authorization": f"Bearer {pair.json()['access_token']}"}
    assert api.get("/api/v1/users", headers=now).status_code == 403
    assert api.get("/api/v1/auth/me", headers=now).status_code == 200
    # A change that is not a role or activation change (consent) keeps tokens valid.
    api.patch(f"/api/v1/users/{boss.id}", json={"research_consent": True}, headers=boss.headers)
    assert api.get("/api/v1/users", headers=boss.headers).status_code == 200
