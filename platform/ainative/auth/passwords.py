"""bcrypt hashing, with a dummy check so unknown accounts cost the same time as known ones."""

from __future__ import annotations

import re
from functools import lru_cache

import bcrypt

from ainative.config import get_settings
from ainative.observability.metrics import PASSWORD_CHECKS

USERNAME_RE = re.compile(r"\A[A-Za-z0-9_-]{3,32}\Z")  # \Z: no trailing newline
PASSWORD_RULE = "at least 8 characters with an upper-case letter, a lower-case letter and a digit"


def password_problem(password: str) -> str | None:
    """Why `password` breaks the rule, or None when it is acceptable."""
    if (
        len(password) < 8
        or not re.search(r"[A-Z]", password)
        or not re.search(r"[a-z]", password)
        or not re.search(r"[0-9]", password)  # ASCII digits, as the OpenAPI pattern says
    ):
        return f"password must be {PASSWORD_RULE}"
    if len(password.encode()) > 72:
        return "password must be at most 72 bytes"
    return None


def hash_password(password: str) -> str:
    """bcrypt hash with the configured cost (12 in production)."""
    salt = bcrypt.gensalt(rounds=get_settings().bcrypt_rounds)
    return bcrypt.hashpw(password.encode(), salt).decode()


def verify_password(password: str, password_hash: str) -> bool:
    """Constant-time check; False for a malformed hash instead of an exception."""
    PASSWORD_CHECKS.inc()  # what the login limit lets through, observable from /metrics
    try:
        return bcrypt.checkpw(password.encode()[:72], password_hash.encode())
    except ValueError:
        return False


@lru_cache
def _dummy_hash() -> str:
    return hash_password("Dummy-password-1")


def burn_password_check(password: str) -> None:
    """Spend one bcrypt check on a user that does not exist (timing parity)."""
    verify_password(password, _dummy_hash())
