"""Hand-built JWT claims for the tests that forge tokens (tampered, expired, alg none...)."""

from __future__ import annotations

import base64
import json
import time
import uuid


def access_claims(sub: int | str = 7, **overrides: object) -> dict:
    """Valid access-token claims for `sub`; an override of None removes that claim."""
    now = int(time.time())
    claims = {
        "sub": str(sub),
        "type": "access",
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 600,
        "iss": "ainative",
        "aud": "ainative-api",
        "username": "ada",
        "roles": ["student"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def b64(data: dict) -> str:
    """One unsigned JWT segment (for `alg: none` tokens)."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
