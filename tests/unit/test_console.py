"""The staff console's pure parts: what it says when the API refuses, and which hub
tokens the API takes as the console's (ainative.console, ainative.auth.console_tokens)."""

from __future__ import annotations

import httpx
import pytest

from ainative.auth.console_tokens import CONSOLE_ACCESS_SCOPE, console_client_scopes
from ainative.config import Settings
from ainative.console.apiclient import error_message
from ainative.console.app import PREFIX, make_app
from ainative.hub.model import CONSOLE_ROLE


def reply(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body)


@pytest.mark.parametrize(
    "status,body,expected",
    [
        (403, {"detail": "requires course role: instructor"}, "requires course role: instructor"),
        (
            422,
            {
                "detail": [
                    {"loc": ["body", "allowed_modes"], "msg": "List should have at least 1 item"}
                ]
            },
            "allowed_modes: List should have at least 1 item",
        ),
        (503, {"nothing": 1}, "the platform is busy or restarting; please retry shortly"),
        (418, {}, "the platform answered 418"),
    ],
)
def test_api_refusals_become_words(status: int, body: object, expected: str) -> None:
    assert error_message(reply(status, body)) == expected


def test_a_body_that_is_not_json_still_reads() -> None:
    assert error_message(httpx.Response(502, text="<html>bad gateway</html>")) == (
        "the platform answered 502"
    )


ALICE_OAUTH = [CONSOLE_ACCESS_SCOPE, "read:users:name!user=alice", "read:users:groups!user=alice"]


@pytest.mark.parametrize(
    "scopes,accepted",
    [
        (ALICE_OAUTH, True),  # what the hub gives the console's OAuth client
        ([CONSOLE_ACCESS_SCOPE], True),
        ([*ALICE_OAUTH, "servers!user=alice", "tokens!user=alice"], False),  # a full token
        (["access:servers!server=alice/", "users:activity!user=alice"], False),  # a server's
        (["access:services", "read:users:name!user=alice"], False),  # every service, not ours
        ([CONSOLE_ACCESS_SCOPE, "read:users:name!user=bob"], False),  # someone else's name
        ("access:services!service=console", False),  # not a list
        ([], False),
    ],
)
def test_only_the_console_clients_scopes_are_accepted(scopes: object, accepted: bool) -> None:
    assert console_client_scopes(scopes, "alice") is accepted


def test_every_hub_account_may_open_the_console() -> None:
    assert CONSOLE_ROLE["scopes"] == [CONSOLE_ACCESS_SCOPE]


def test_production_refuses_a_console_without_its_secrets() -> None:
    settings = Settings(_env_file=None, environment="production")
    problems = " ".join(settings.production_problems("console"))
    assert "CONSOLE_HUB_TOKEN" in problems and "CONSOLE_COOKIE_SECRET" in problems
    ok = Settings(
        _env_file=None,
        environment="production",
        console_hub_token="a" * 64,
        console_cookie_secret="b" * 48,
    )
    assert not [p for p in ok.production_problems("console") if "CONSOLE_" in p]


def test_the_app_serves_every_page_under_the_hubs_prefix(tmp_path) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        console_hub_token="t" * 32,
        console_cookie_secret="c" * 40,
    )
    app = make_app(settings)
    patterns = [rule.matcher.regex.pattern for rule in app.wildcard_router.rules]
    tornado_own = {r"/(robots\.txt)$", r"/(favicon\.ico)$"}  # static_path's extras
    ours = [p for p in patterns if p not in tornado_own]
    assert len(ours) > 10 and all(p.startswith(PREFIX.rstrip("/")) for p in ours), patterns
    assert app.settings["xsrf_cookies"] is True
