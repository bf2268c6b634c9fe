"""LTI claims as truth tables: LIS roles -> course roles, and which notebook a launch opens."""

from __future__ import annotations

import pytest

from ainative.lti.claims import course_role
from ainative.lti.records import notebook_of, safe_notebook

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
SYS_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
TARGET = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([M + "Learner"], "student"),
        ([M + "Instructor"], "instructor"),
        ([TA], "assistant"),
        ([TA, M + "Instructor"], "assistant"),  # least power: a TA stays a TA
        ([M + "Learner", M + "Instructor"], "instructor"),
        (["Learner"], "student"),  # the short form the spec tolerates
        ([ADMIN], None),  # an institution admin is nobody in a course here
        ([SYS_ADMIN, M + "Learner"], "student"),  # and never more than the course role
        ([M + "Mentor"], None),
        ([], None),
    ],
)
def test_lis_roles_map_to_course_roles(roles, expected) -> None:
    assert course_role(roles) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tutor.ipynb", "tutor.ipynb"),
        ("/week2/loops.ipynb", "week2/loops.ipynb"),
        ("../../etc/passwd.ipynb", ""),
        ("week2/../../x.ipynb", ""),
        ("notes.txt", ""),
        ("https://evil.example/x.ipynb", ""),
        ("", ""),
    ],
)
def test_only_a_notebook_inside_the_home_is_opened(path, expected) -> None:
    assert safe_notebook(path) == expected


def test_the_notebook_comes_from_custom_then_target_link_uri() -> None:
    assert (
        notebook_of({CUSTOM: {"notebook": "a.ipynb"}, TARGET: "https://h/?notebook=b.ipynb"})
        == "a.ipynb"
    )
    assert notebook_of({TARGET: "https://h/hub/lti13/oauth_callback?notebook=b.ipynb"}) == "b.ipynb"
    assert notebook_of({TARGET: "https://h/user-redirect/lab/tree/w1/c.ipynb"}) == "w1/c.ipynb"
    assert notebook_of({TARGET: "https://h/hub/lti13/oauth_callback"}) == ""
