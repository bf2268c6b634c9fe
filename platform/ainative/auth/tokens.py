"""JWTs: access, refresh, server and hub login tokens; pinned algorithm, every claim checked.

Token types and audiences:
- access  (aud JWT_AUDIENCE):     sub, username, roles, gen, jti, iat, exp, iss; a server's
  access token also carries `scope: "tutor"` (only the widget's endpoints accept it,
  api.deps.TutorUser) and lives JWT_SERVER_TOKEN_EXPIRE_MINUTES
- refresh (aud JWT_AUDIENCE):     sub, fam (rotation family), jti, iat, exp, iss
- server  (aud JWT_AUDIENCE):     sub, fam (one server start), gen, scope "tutor-renew";
  a single-user server's renewal key, accepted only by POST /api/v1/auth/server-token
  (ainative.auth.server_tokens): never rotated, so any number of kernels may renew
- login   (aud JWT_HUB_AUDIENCE): sub, username, jti, iat, exp (<= 120 s), iss; single use
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jwt

from ainative.config import Settings, get_settings

TokenType = Literal["access", "refresh", "server", "login"]
TUTOR_SCOPE = "tutor"  # a server's access token: the widget's endpoints only
RENEW_SCOPE = "tutor-renew"  # a server key: POST /api/v1/auth/server-token only
CONSOLE_SCOPE = "console"  # the staff console's: course staff routes only, never me/* or auth/*
REQUIRED_CLAIMS = ["sub", "type", "jti", "iat", "exp", "iss", "aud"]


class TokenError(Exception):
    """The token is not acceptable; the message is safe to show to the caller."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime
    claims: dict[str, Any]


@lru_cache
def _keys(
    algorithm: str, secret: str, private_file: str | None, public_file: str | None
) -> tuple[str | None, str | None]:
    if algorithm.startswith("HS"):
        return secret, secret
    if not (private_file or public_file):
        raise RuntimeError("RS256 needs JWT_PRIVATE_KEY_FILE and/or JWT_PUBLIC_KEY_FILE")
    private = Path(private_file).read_text() if private_file else None
    public = Path(public_file).read_text() if public_file else None
    return private, public


def signing_key(settings: Settings) -> Any:
    return _keys(
        settings.jwt_algorithm,
        settings.jwt_secret_key,
        str(settings.jwt_private_key_file) if settings.jwt_private_key_file else None,
        str(settings.jwt_public_key_file) if settings.jwt_public_key_file else None,
    )[0]


def verifying_key(settings: Settings) -> Any:
    return _keys(
        settings.jwt_algorithm,
        settings.jwt_secret_key,
        str(settings.jwt_private_key_file) if settings.jwt_private_key_file else None,
        str(settings.jwt_public_key_file) if settings.jwt_public_key_file else None,
    )[1]


def _issue(
    token_type: TokenType,
    subject: int,
    lifetime: timedelta,
    audience: str,
    extra: dict[str, Any],
    settings: Settings,
) -> IssuedToken:
    now = datetime.now(UTC)
    jti = str(uuid.uuid4())
    expires_at = now + lifetime
    claims = {
        "sub": str(subject),
        "type": token_type,
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "iss": settings.jwt_issuer,
        "aud": audience,
        **extra,
    }
    token = jwt.encode(claims, signing_key(settings), algorithm=settings.jwt_algorithm)
    return IssuedToken(token=token, jti=jti, expires_at=expires_at, claims=claims)


def issue_access_token(
    user_id: int,
    username: str,
    roles: list[str],
    settings: Settings | None = None,
    generation: int = 0,
    *,
    scope: str | None = None,
) -> IssuedToken:
    """A short-lived bearer token for the API; `gen` is the user's token generation.

    With `scope` ("tutor": a single-user server's) it lives JWT_SERVER_TOKEN_EXPIRE_MINUTES
    and opens only the routes that accept that scope.
    """
    settings = settings or get_settings()
    minutes = (
        settings.jwt_server_token_expire_minutes
        if scope
        else settings.jwt_access_token_expire_minutes
    )
    claims: dict[str, Any] = {"username": username, "roles": list(roles), "gen": generation}
    if scope:
        claims["scope"] = scope
    return _issue(
        "access", user_id, timedelta(minutes=minutes), settings.jwt_audience, claims, settings
    )


def issue_server_access_token(
    user_id: int,
    username: str,
    roles: list[str],
    settings: Settings | None = None,
    generation: int = 0,
) -> IssuedToken:
    """An access token for a single-user server: scope "tutor", the widget's endpoints only."""
    return issue_access_token(user_id, username, roles, settings, generation, scope=TUTOR_SCOPE)


def issue_server_key(
    user_id: int, family_id: str, settings: Settings | None = None, generation: int = 0
) -> IssuedToken:
    """A server's renewal key (recorded like a refresh token, never rotated)."""
    settings = settings or get_settings()
    return _issue(
        "server",
        user_id,
        timedelta(days=settings.jwt_refresh_token_expire_days),
        settings.jwt_audience,
        {"fam": family_id, "gen": generation, "scope": RENEW_SCOPE},
        settings,
    )


def issue_refresh_token(
    user_id: int, family_id: str, settings: Settings | None = None
) -> IssuedToken:
    """A rotating refresh token belonging to `family_id` (one login's chain)."""
    settings = settings or get_settings()
    return _issue(
        "refresh",
        user_id,
        timedelta(days=settings.jwt_refresh_token_expire_days),
        settings.jwt_audience,
        {"fam": family_id},
        settings,
    )


def issue_login_token(user_id: int, username: str, settings: Settings | None = None) -> IssuedToken:
    """A single-use token that logs `username` into JupyterHub via /hub/login?token=."""
    settings = settings or get_settings()
    return _issue(
        "login",
        user_id,
        timedelta(seconds=settings.jwt_login_token_expire_seconds),
        settings.jwt_hub_audience,
        {"username": username},
        settings,
    )


def decode_token(
    token: str, expected_type: TokenType, settings: Settings | None = None
) -> dict[str, Any]:
    """Verify signature, pinned algorithm, iss, aud, exp, type and jti; return the claims."""
    settings = settings or get_settings()
    audience = settings.jwt_hub_audience if expected_type == "login" else settings.jwt_audience
    try:
        claims = jwt.decode(
            token,
            verifying_key(settings),
            algorithms=[settings.jwt_algorithm],
            audience=audience,
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    if claims.get("type") != expected_type:
        raise TokenError(f"expected a {expected_type} token, got {claims.get('type')!r}")
    try:
        uuid.UUID(str(claims["jti"]))
        int(claims["sub"])
    except (ValueError, TypeError) as exc:
        raise TokenError("invalid token: malformed sub or jti") from exc
    return claims
