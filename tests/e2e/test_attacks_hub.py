"""Attacks on the real JupyterHub (findings 4 and 8 of issue 11, 4 and 12 of issue 20)."""

from __future__ import annotations

import random
import time

import httpx
import redis

from ainative.limits.ratelimit import FixedWindow


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


def _login_link(api, user) -> str:
    r = api.post("/api/v1/auth/hub-token", headers=user.headers, json={"next": "/hub/home"})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def _whoami(client: httpx.Client) -> str:
    xsrf = client.cookies.get("_xsrf", path="/hub/")
    r = client.get("/hub/api/user", headers={"X-XSRFToken": xsrf})
    assert r.status_code == 200, r.text
    return r.json()["name"]


def test_attack_login_link_does_not_silently_replace_a_session(hub, api, make_user):
    """Login CSRF: the attacker's own link, opened in the victim's browser."""
    victim, attacker = make_user(), make_user()
    browser = hub.session(victim.username, victim.password)
    token = _login_link(api, attacker)
    page = browser.get("/hub/login", params={"token": token})
    assert page.status_code == 200, page.text[:300]
    assert "Switch account?" in page.text and attacker.username in page.text
    assert page.headers["cache-control"] == "no-store"
    assert _whoami(browser) == victim.username.lower()  # nothing switched

    # A cross-site form cannot confirm for the victim: it has no XSRF value.
    forged = browser.post("/hub/login", data={"token": token, "confirm": "yes"})
    assert forged.status_code == 403, forged.text[:300]
    assert _whoami(browser) == victim.username.lower()

    # The victim's own deliberate click (the page's form, with its XSRF field) switches.
    xsrf = page.text.split('name="_xsrf" value="')[1].split('"')[0]
    confirmed = browser.post(
        "/hub/login", data={"_xsrf": xsrf, "token": token, "confirm": "yes", "next": "/hub/home"}
    )
    assert confirmed.status_code == 302, confirmed.text[:300]
    assert _whoami(browser) == attacker.username.lower()


def test_attack_login_link_without_a_session_names_the_account_first(hub, api, make_user):
    """Login CSRF on a browser with no hub session: the attacker's link, opened by the
    victim, must not log the victim into the attacker's account by itself."""
    attacker = make_user()
    token = _login_link(api, attacker)
    with httpx.Client(base_url=hub.url, timeout=30, follow_redirects=False) as victim:
        page = victim.get("/hub/login", params={"token": token})
        assert page.status_code == 200, page.text[:300]
        assert not any(c.name == "jupyterhub-hub-login" for c in victim.cookies.jar)
        assert f'id="link_owner">{attacker.username}<' in page.text
        assert page.headers["cache-control"] == "no-store"
        assert victim.get("/hub/home").status_code == 302  # still nobody's session

        # A cross-site form posting the token has no XSRF value: refused.
        forged = victim.post("/hub/login", data={"token": token, "confirm": "yes"})
        assert forged.status_code == 403, forged.text[:300]
        assert not any(c.name == "jupyterhub-hub-login" for c in victim.cookies.jar)

        # The page's own button (its form, with the XSRF field) logs in, once.
        xsrf = page.text.split('name="_xsrf" value="')[1].split('"')[0]
        confirmed = victim.post(
            "/hub/login",
            data={"_xsrf": xsrf, "token": token, "confirm": "yes", "next": "/hub/home"},
        )
        assert confirmed.status_code == 302, confirmed.text[:300]
        assert _whoami(victim) == attacker.username.lower()


def test_own_login_link_over_own_session_goes_straight_through(hub, api, make_user):
    user = make_user()
    browser = hub.session(user.username, user.password)
    r = browser.get("/hub/login", params={"token": _login_link(api, user)})
    assert r.status_code == 302 and "token" not in r.headers["location"]
    assert _whoami(browser) == user.username.lower()
