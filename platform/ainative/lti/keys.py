"""The tool's own RSA key: signs NRPS client assertions (RFC 7523); its JWKS is public.

Made on first need and kept in the platform DB (lti_tool_keys), so the hub that serves
/hub/lti13/jwks and the worker that syncs rosters use the same key. Never commits.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ainative.db.models import LtiToolKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _new_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return uuid.uuid4().hex, pem


def tool_key(session: Session) -> LtiToolKey:
    """The newest tool key, made now if there is none (a concurrent maker may win)."""
    row = session.execute(
        select(LtiToolKey).order_by(LtiToolKey.created_at.desc()).limit(1)
    ).scalar_one_or_none()
    if row is not None:
        return row
    kid, pem = _new_key()
    session.execute(insert(LtiToolKey).values(kid=kid, private_pem=pem).on_conflict_do_nothing())
    session.flush()
    return session.execute(
        select(LtiToolKey).order_by(LtiToolKey.created_at.desc()).limit(1)
    ).scalar_one()


def jwks(session: Session) -> dict[str, Any]:
    """The public JWKS of every tool key (old keys stay listed while assertions live)."""
    tool_key(session)
    keys = []
    for row in session.execute(select(LtiToolKey).order_by(LtiToolKey.created_at)).scalars():
        private = serialization.load_pem_private_key(row.private_pem.encode(), password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            continue  # only RSA keys are made here
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
        keys.append({**public, "kid": row.kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}


def client_assertion(key: LtiToolKey, *, client_id: str, audience: str) -> str:
    """An RFC 7523 client assertion: iss = sub = the client id, aud = the token URL."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
