"""Finding 12: the public health answer tells a stranger nothing to attack with.

The attack: an unauthenticated GET of /api/v1/health looking for worker host names,
pool sizes and exception text (database host, driver versions). Admins still get them.
"""

from __future__ import annotations

import json

DETAIL_WORDS = ("names", "pool", "reason", "size", "celery@", "version", "Error")


def test_attack_public_health_shows_status_only(api, make_user) -> None:
    r = api.get("/api/v1/health")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == {
        "status": "healthy",
        "components": {"database": "ok", "cache": "ok", "broker": "ok", "workers": "ok"},
    }
    text = json.dumps(body)
    assert not [word for word in DETAIL_WORDS if word in text]


def test_attack_health_details_need_an_admin(api, make_user) -> None:
    assert api.get("/api/v1/health/details").status_code == 401
    student = make_user()
    assert api.get("/api/v1/health/details", headers=student.headers).status_code == 403
    admin = make_user(roles=("admin",))
    r = api.get("/api/v1/health/details", headers=admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "healthy"
    assert "size" in body["database"]["pool"] and body["workers"]["names"]
