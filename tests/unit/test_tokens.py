"""decode_token refuses every token it should, and production refuses unsafe settings."""

from __future__ import annotations

import time

import jwt
import pytest

from ainative.auth.tokens import (
    TokenError,
    decode_token,
    issue_access_token,
    issue_login_token,
    issue_refresh_token,
)
from ainative.config import InsecureConfigurationError, Settings
from tests.forged_tokens import access_claims, b64

SECRET = "unit-test-secret-that-is-long-enough-0123456789"


@pytest.fixture
def settings() -> Settings:
    return Settings(
        jwt_secret_key=SECRET, jwt_algorithm="HS256", jwt_issuer="ainative", environment="test"
    )


def test_issued_tokens_round_trip(settings: Settings) -> None:
    access = issue_access_token(7, "ada", ["student", "instructor"], settings)
    got = decode_token(access.token, "access", settings)
    assert (got["sub"], got["username"], got["roles"]) == ("7", "ada", ["student", "instructor"])
    assert got["jti"] == access.jti
    refresh = issue_refresh_token(7, "fam-1", settings)
    assert decode_token(refresh.token, "refresh", settings)["fam"] == "fam-1"
    login = issue_login_token(7, "ada", settings)
    assert decode_token(login.token, "login", settings)["aud"] == "jupyterhub"


def test_access_token_lifetime_follows_settings(settings: Settings) -> None:
    access = issue_access_token(1, "ada", ["student"], settings)
    lifetime = access.claims["exp"] - access.claims["iat"]
    assert lifetime == settings.jwt_access_token_expire_minutes * 60


def _tampered(settings: Settings) -> str:
    token = issue_access_token(7, "ada", ["student"], settings).token
    head, body, sig = token.split(".")
    forged = b64({**jwt.decode(token, options={"verify_signature": False}), "roles": ["admin"]})
    return f"{head}.{forged}.{sig}"


BAD_TOKENS = {
    "tampered payload": lambda s: _tampered(s),
    "other secret": lambda s: jwt.encode(access_claims(), "another-secret-" * 4, algorithm="HS256"),
    "expired": lambda s: jwt.encode(
        access_claims(exp=int(time.time()) - 60, iat=int(time.time()) - 660),
        SECRET,
        algorithm="HS256",
    ),
    "wrong audience": lambda s: jwt.encode(
        access_claims(aud="jupyterhub"), SECRET, algorithm="HS256"
    ),
    "wrong issuer": lambda s: jwt.encode(access_claims(iss="evil"), SECRET, algorithm="HS256"),
    "alg none": lambda s: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(access_claims())}.",
    "other HS algorithm": lambda s: jwt.encode(access_claims(), SECRET, algorithm="HS512"),
    "refresh as access": lambda s: issue_refresh_token(7, "fam", s).token,
    "login as access": lambda s: jwt.encode(
        access_claims(type="login", aud="ainative-api"), SECRET, algorithm="HS256"
    ),
    "missing jti": lambda s: jwt.encode(access_claims(jti=None), SECRET, algorithm="HS256"),
    "missing exp": lambda s: jwt.encode(access_claims(exp=None), SECRET, algorithm="HS256"),
    "malformed jti": lambda s: jwt.encode(
        access_claims(jti="not-a-uuid"), SECRET, algorithm="HS256"
    ),
    "non-numeric sub": lambda s: jwt.encode(access_claims(sub="admin"), SECRET, algorithm="HS256"),
    "garbage": lambda s: "not.a.jwt",
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_decode_refuses(case: str, settings: Settings) -> None:
    token = BAD_TOKENS[case](settings)
    with pytest.raises(TokenError):
        decode_token(token, "access", settings)


def test_crafted_valid_token_is_accepted(settings: Settings) -> None:
    """The fixtures above differ from a good token only in the broken part."""
    token = jwt.encode(access_claims(), SECRET, algorithm="HS256")
    assert decode_token(token, "access", settings)["username"] == "ada"


def test_access_token_is_not_a_hub_login_token(settings: Settings) -> None:
    token = issue_access_token(7, "ada", ["student"], settings).token
    with pytest.raises(TokenError):
        decode_token(token, "login", settings)


def test_expired_message_is_readable(settings: Settings) -> None:
    token = BAD_TOKENS["expired"](settings)
    with pytest.raises(TokenError, match="expired"):
        decode_token(token, "access", settings)


# --- production refuses unsafe settings (create_app runs Settings.check_production) -----------

SAFE = {
    "environment": "production",
    "jwt_secret_key": "x" * 48,
    "debug": False,
    "allowed_origins": ["https://tutor.example.edu"],
    "pseudonym_key": "p" * 40,
    "bcrypt_rounds": 12,
    "redis_url": "redis://api:a-redis-password@redis:6379/0",
    "metrics_token": "m" * 40,
}


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"jwt_secret_key": "dev-insecure-change-me"}, "JWT_SECRET_KEY"),
        ({"jwt_secret_key": "short-secret"}, "JWT_SECRET_KEY"),
        ({"debug": True}, "DEBUG"),
        ({"allowed_origins": ["*"]}, "ALLOWED_ORIGINS"),
    ],
    ids=["default secret", "short secret", "debug", "wildcard cors"],
)
def test_production_app_refuses_unsafe_setting(override: dict, named: str) -> None:
    from api.main import create_app

    with pytest.raises(InsecureConfigurationError, match=named):
        create_app(Settings(**{**SAFE, **override}))


def test_production_app_starts_with_safe_settings() -> None:
    from api.main import create_app

    assert create_app(Settings(**SAFE)).title
