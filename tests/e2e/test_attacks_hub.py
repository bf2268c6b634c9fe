"""Attacks on the real JupyterHub (findings 4 and 8 of issue 11)."""

from __future__ import annotations

import random
import time

import httpx
import pytest
import redis

from ainative.ratelimit import FixedWindow

pytestmark = pytest.mark.e2e


def _loopback() -> str:
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


def _login_count(redis_url: str, identity: str, window: int) -> int:
    key = FixedWindow("ratelimit:login", window).key(f"{identity}:{window}", time.time())
    with redis.Redis.from_url(redis_url) as r:
        return int(r.get(key) or 0)


def test_attack_forged_x_real_ip_does_not_reset_the_hubs_count(hub, make_user):
    """Each wrong password claims a fresh X-Real-Ip; the hub counts the real client."""
    user = make_user()
    client_ip = _loopback()
    window = hub.stack.settings().rate_limit_window_seconds
    redis_url = hub.stack.env["REDIS_URL"]
    transport = httpx.HTTPTransport(local_address=client_ip)
    forged = []
    for _ in range(3):
        fake = _loopback()
        forged.append(fake)
        claim = {"X-Real-Ip": fake, "X-Forwarded-For": fake}
        # The hub ties an anonymous form's XSRF token to the client address it believes,
        # so the attacker fetches each form under the address it is about to claim.
        with httpx.Client(base_url=hub.url, transport=transport, timeout=30) as browser:
            browser.get("/hub/login", headers=claim).raise_for_status()
            xsrf = browser.cookies.get("_xsrf", path="/hub/")
            r = browser.post(
                "/hub/login",
                data={"username": user.username, "password": "Wrong-pass-1", "_xsrf": xsrf},
                headers=claim,
            )
        assert r.status_code == 403 and "Invalid username" in r.text, r.text[-1500:]
    with redis.Redis.from_url(redis_url) as rr:
        keys = [(k, rr.get(k)) for k in rr.keys("ratelimit:login:ip:*")]
    assert _login_count(redis_url, f"ip:{client_ip}", window) == 3, (client_ip, forged, keys)
    assert all(_login_count(redis_url, f"ip:{fake}", window) == 0 for fake in forged)
