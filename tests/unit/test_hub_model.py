"""Which hub group a course member lands in: instructors' scopes reach student accounts only."""

from __future__ import annotations

import pytest

from ainative.hub.accounts import Account, CourseRole
from ainative.hub.model import DEFAULT_INSTRUCTOR_SCOPES, auth_model


def model_of(roles: tuple[str, ...], course_role: str) -> dict:
    account = Account(1, "Someone", roles, True, (CourseRole("CS101", course_role),))
    return auth_model(account, group_prefix="course-", instructor_scopes=DEFAULT_INSTRUCTOR_SCOPES)


def test_a_student_account_enrolled_as_student_is_in_the_student_group():
    assert model_of(("student",), "student")["groups"] == ["course-cs101"]


@pytest.mark.parametrize(
    ("roles", "course_role"),
    [
        (("admin",), "student"),
        (("student", "admin"), "student"),
        (("instructor",), "student"),
        (("instructor",), "instructor"),
        (("student",), "instructor"),
        ((), "student"),
    ],
)
def test_attack_staff_enrolled_in_a_course_stay_out_of_the_instructors_reach(roles, course_role):
    model = model_of(roles, course_role)
    assert model["groups"] == ["staff-cs101"]
    reachable = {
        scope.split("=", 1)[1]
        for role in model["roles"]
        for scope in role["scopes"]
        if "!group=" in scope
    }
    assert "staff-cs101" not in reachable


def test_instructors_scopes_name_the_student_group():
    model = model_of(("instructor",), "instructor")
    scopes = next(r for r in model["roles"] if r["name"] == "instructor-course-cs101")["scopes"]
    assert "access:servers!group=course-cs101" in scopes
