"""The local-users spawner's system user names: prefixed, valid for useradd, never mapped."""

from __future__ import annotations

import pytest

from ainative.hub.spawner import StudentUserSpawner, system_username


def test_a_student_gets_a_prefixed_system_user():
    assert system_username("jh-", "alice") == "jh-alice"
    assert system_username("jh-", "root") == "jh-root", "never the system's own accounts"


def test_long_names_are_shortened_with_a_hash_and_stay_distinct():
    first = system_username("jh-", "a" * 32)
    second = system_username("jh-", "a" * 31 + "b")
    assert len(first) <= 32 and len(second) <= 32 and first != second


@pytest.mark.parametrize("name", ["../etc", "Alice", "a b", "", "al;ce"])
def test_attack_a_hub_name_that_is_no_safe_user_name_is_refused(name):
    with pytest.raises(ValueError):
        system_username("jh-", name)


def test_the_prefix_is_checked():
    with pytest.raises(Exception, match="user_prefix"):
        StudentUserSpawner(user_prefix="Bad Prefix")


def test_attack_a_system_account_never_runs_a_students_server(tmp_path):
    from ainative.hub.spawner import ensure_system_user

    with pytest.raises(PermissionError, match="system account"):
        ensure_system_user("root", tmp_path, "not a student")
