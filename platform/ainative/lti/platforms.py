"""LTI platform registrations in the platform DB: add, list, find, remove.

Read at every launch, so one added while the hub runs is usable at once. Several client
ids per issuer are separate rows; deployments are a list on the row. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ainative.db.models import LtiPlatform
from ainative.lti.errors import PlatformError


def _url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise PlatformError(f"{name} must be an absolute http(s) URL, got {value!r}")
    return value


def add_platform(
    session: Session,
    *,
    issuer: str,
    client_id: str,
    deployment_ids: Sequence[str],
    auth_login_url: str,
    jwks_url: str,
    token_url: str,
) -> LtiPlatform:
    """Register (issuer, client id); adding it again merges deployments and updates URLs."""
    if not client_id.strip():
        raise PlatformError("--client-id must not be empty")
    deployments = [d.strip() for d in deployment_ids if d.strip()]
    if not deployments:
        raise PlatformError("give at least one --deployment-id")
    row = find(session, issuer=_url("--issuer", issuer), client_id=client_id)
    if row is None:
        row = LtiPlatform(issuer=issuer, client_id=client_id, deployment_ids=[])
        session.add(row)
    row.deployment_ids = sorted(set(row.deployment_ids or ()) | set(deployments))
    row.auth_login_url = _url("--auth-login-url", auth_login_url)
    row.jwks_url = _url("--jwks-url", jwks_url)
    row.token_url = _url("--token-url", token_url)
    session.flush()
    return row


def list_platforms(session: Session) -> list[LtiPlatform]:
    return list(session.execute(select(LtiPlatform).order_by(LtiPlatform.id)).scalars())


def find(session: Session, *, issuer: str, client_id: str) -> LtiPlatform | None:
    return session.execute(
        select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)
    ).scalar_one_or_none()


def for_issuer(session: Session, *, issuer: str) -> list[LtiPlatform]:
    """Every registration of an issuer (one per client id)."""
    stmt = select(LtiPlatform).where(LtiPlatform.issuer == issuer).order_by(LtiPlatform.id)
    return list(session.execute(stmt).scalars())


def remove_platform(session: Session, *, issuer: str, client_id: str | None = None) -> int:
    """Remove one registration (or all of the issuer's); their contexts go with them,
    courses and accounts stay. Returns how many were removed."""
    stmt = delete(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        stmt = stmt.where(LtiPlatform.client_id == client_id)
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
