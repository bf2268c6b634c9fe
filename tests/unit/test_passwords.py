"""Password rule, username rule and bcrypt hashing, as truth tables."""

from __future__ import annotations

import pytest

from ainative.auth.passwords import (
    USERNAME_RE,
    burn_password_check,
    hash_password,
    password_problem,
    verify_password,
)


@pytest.fixture(autouse=True)
def cheap_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    from ainative.config import get_settings

    monkeypatch.setenv("BCRYPT_ROUNDS", "4")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Secret-pass-1", True),
        ("Abcdefg1", True),
        ("Abcdef1", False),  # 7 characters
        ("abcdefg1", False),  # no upper case
        ("ABCDEFG1", False),  # no lower case
        ("Abcdefgh", False),  # no digit
        ("", False),
        ("Aa1" + "x" * 70, False),  # 73 bytes: bcrypt would silently truncate
        ("Äbcdefg1", False),  # non-ASCII upper case does not count as [A-Z]
    ],
)
def test_password_rule(password: str, ok: bool) -> None:
    problem = password_problem(password)
    assert (problem is None) is ok
    if not ok:
        assert "password must be" in problem


@pytest.mark.parametrize(
    ("username", "ok"),
    [
        ("ada", True),
        ("ada_lovelace-1815", True),
        ("x" * 32, True),
        ("ab", False),
        ("x" * 33, False),
        ("ada lovelace", False),
        ("ada@example.org", False),
        ("ada\n", False),
        ("", False),
    ],
)
def test_username_rule(username: str, ok: bool) -> None:
    assert bool(USERNAME_RE.match(username)) is ok


def test_hash_and_verify() -> None:
    hashed = hash_password("Secret-pass-1")
    assert hashed.startswith("$2b$04$")
    assert verify_password("Secret-pass-1", hashed)
    assert not verify_password("Secret-pass-2", hashed)
    assert hash_password("Secret-pass-1") != hashed  # salted


def test_verify_malformed_hash_is_false_not_an_error() -> None:
    assert verify_password("Secret-pass-1", "not-a-bcrypt-hash") is False
    assert verify_password("Secret-pass-1", "") is False


def test_burn_password_check_runs_bcrypt() -> None:
    burn_password_check("whatever")  # must neither raise nor accept anything
