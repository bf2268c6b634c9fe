"""Who Flower's hub login admits (ainative.observability.flower_hub_auth), as a truth table,
and that Flower's own `auth` check accepts exactly the cookie values the login writes."""

from __future__ import annotations

import pytest
from flower.utils.authentication import authenticate, validate_auth_option

from ainative.observability.flower_hub_auth import AUTH_PATTERN, cookie_value, is_hub_admin


@pytest.mark.parametrize(
    "model,admitted",
    [
        ({"kind": "user", "name": "ada", "admin": True}, True),
        ({"name": "ada", "admin": True}, True),
        ({"kind": "user", "name": "bob", "admin": False}, False),
        ({"kind": "user", "name": "bob"}, False),  # a model without `admin`: not an admin
        ({"kind": "user", "name": "bob", "admin": "true"}, False),
        ({"kind": "service", "name": "prometheus", "admin": True}, False),
    ],
)
def test_only_hub_admins_are_let_in(model: dict, admitted: bool) -> None:
    assert is_hub_admin(model) is admitted


def test_flowers_auth_option_accepts_only_the_logins_cookie_values() -> None:
    assert validate_auth_option(AUTH_PATTERN)
    assert authenticate(AUTH_PATTERN, cookie_value({"name": "ada.l-ove_1"}))
    for forged in ("ada", "ada@example.org", "ada@hub-admin.evil", ""):
        assert not authenticate(AUTH_PATTERN, forged), forged


def test_flower_honours_a_login_for_half_a_day_only(monkeypatch) -> None:
    """A login cookie signed 13 hours ago is refused (tornado's default would be 31 days)."""
    import time
    from unittest import mock

    import tornado.web
    from flower.views import BaseHandler, auth, monitor
    from tornado.httputil import HTTPHeaders, HTTPServerRequest

    from ainative.config import Settings
    from ainative.observability import flower_hub_auth

    # install() patches Flower's classes: undo it when the test ends.
    monkeypatch.setattr(BaseHandler, "get_secure_cookie", BaseHandler.get_secure_cookie)
    monkeypatch.setattr(monitor.Metrics, "get", monitor.Metrics.get)
    monkeypatch.setattr(auth.LogoutHandler, "get", auth.LogoutHandler.get)
    flower_hub_auth.install(Settings(_env_file=None, metrics_token="m" * 40))

    secret = "s" * 32
    now = time.time()
    fresh = tornado.web.create_signed_value(secret, "user", "ada@hub-admin", clock=lambda: now)
    stale = tornado.web.create_signed_value(
        secret, "user", "ada@hub-admin", clock=lambda: now - 13 * 3600
    )
    app = tornado.web.Application(cookie_secret=secret)

    def reading(cookie: bytes) -> bytes | None:
        headers = HTTPHeaders({"Cookie": f"user={cookie.decode()}"})
        request = HTTPServerRequest(method="GET", uri="/", headers=headers, connection=mock.Mock())
        handler = tornado.web.RequestHandler(app, request)
        value: bytes | None = BaseHandler.get_secure_cookie(handler, "user")
        return value

    assert reading(fresh) == b"ada@hub-admin"
    assert reading(stale) is None
