"""AINativeAuthenticator refuses a bad configuration when it is built, naming the trait."""

from __future__ import annotations

import pytest

from ainative.hub.authenticator import AINativeAuthenticator


@pytest.mark.parametrize(
    ("trait", "value"),
    [
        ("database_url", "sqlite:///x.db"),
        ("course_group_prefix", "Course "),
        ("course_group_prefix", ""),
    ],
)
def test_bad_configuration_fails_early(trait, value):
    with pytest.raises(Exception, match=trait):
        AINativeAuthenticator(**{trait: value})


def test_group_prefixes_must_not_overlap():
    # 'course-' and 'course-staff-': course 'staff-x' would share the staff group of course 'x'.
    with pytest.raises(Exception, match="staff_group_prefix"):
        AINativeAuthenticator(staff_group_prefix="course-staff-")
