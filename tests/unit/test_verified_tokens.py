"""ainative.auth.verified: a token verified once is found again only as the same string,
and only until it expires; the map stays bounded."""

from __future__ import annotations

import time

from ainative.auth.verified import VerifiedTokens


def test_found_until_expiry_then_gone() -> None:
    cache: VerifiedTokens[str] = VerifiedTokens()
    cache.put("tok-a", time.time() + 60, "alice")
    cache.put("tok-b", time.time() - 1, "bob")  # already expired
    assert cache.get("tok-a") == "alice"
    assert cache.get("tok-b") is None
    assert len(cache) == 1  # the expired entry was dropped when asked for


def test_an_altered_token_is_never_found() -> None:
    cache: VerifiedTokens[str] = VerifiedTokens()
    cache.put("header.payload.signature", time.time() + 60, "alice")
    assert cache.get("header.payload.signaturX") is None
    assert cache.get("header.payload.signature ") is None


def test_full_map_drops_expired_first_then_starts_empty() -> None:
    cache: VerifiedTokens[int] = VerifiedTokens(max_entries=3)
    now = time.time()
    cache.put("old", now - 1, 0)
    cache.put("a", now + 60, 1)
    cache.put("b", now + 60, 2)
    cache.put("c", now + 60, 3)  # full: the expired one goes, the live ones stay
    assert [cache.get(k) for k in ("a", "b", "c")] == [1, 2, 3]
    cache.put("d", now + 60, 4)  # full of live ones: start again with d alone
    assert len(cache) == 1 and cache.get("d") == 4 and cache.get("a") is None
