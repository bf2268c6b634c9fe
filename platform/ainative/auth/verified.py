"""Access tokens this process has verified, so a token's signature is checked once, not on
every request.

The key is the whole token string: only the exact bytes that passed `decode_token` are
found again, so a forged or altered token is always verified afresh. An entry lasts until
the token's `exp`; revocation, deactivation and the token generation are not cached here
(api.deps checks them in Redis on every request). Bounded: when full, expired entries go
first, and if none has expired the map starts empty again (a re-verification, never a
wrong answer). One per API process (ApiState), used on its event loop only.
"""

from __future__ import annotations

import time
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 20_000  # a lab of 300 holds a handful of tokens each


class VerifiedTokens(Generic[T]):
    """token -> what its verified claims gave (a Principal), until the token expires."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, T]] = {}

    def get(self, token: str) -> T | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        expires_at, value = entry
        if time.time() >= expires_at:
            del self._entries[token]
            return None
        return value

    def put(self, token: str, expires_at: float, value: T) -> None:
        if len(self._entries) >= self.max_entries:
            now = time.time()
            self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
            if len(self._entries) >= self.max_entries:
                self._entries = {}
        self._entries[token] = (expires_at, value)

    def __len__(self) -> int:
        return len(self._entries)
