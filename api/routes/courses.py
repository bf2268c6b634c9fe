"""Routes: courses, memberships and each course's tutor policy.

Admins create courses and may do anything in them; a course's instructors enrol
students and set its tutor policy; its students can read it. Access to one course
is decided once, by the `course_access` dependency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from sqlalchemy.orm import Session

from ainative.course import courses as courses_service
from ainative.course import joincodes
from ainative.db.models import Course
from api.deps import CurrentUser, Principal, SessionDep, require_roles
from api.schemas.bounds import CourseIdPath, UserIdPath
from api.schemas.courses import (
    CourseCreate,
    CoursePublic,
    CoursesPublic,
    CourseSummaryPublic,
    JoinCodePublic,
    MemberCreate,
    MemberPublic,
    MembersPublic,
    StudentSummary,
    TutorPolicy,
)
from api.schemas.errors import error_responses

router = APIRouter(
    prefix="/api/v1/courses", tags=["courses"], responses=error_responses(401, 403, 422, 503)
)
BODY = error_responses(400)
IN_COURSE = error_responses(404)


@dataclass(frozen=True)
class CourseAccess:
    course: Course
    role: str  # "admin", "instructor" or "student"


def course_access(*allowed: str) -> Callable[[int, Principal, Session], CourseAccess]:
    """A dependency: the course of the path, if the caller is an admin or holds `allowed`."""

    def check(course_id: CourseIdPath, user: CurrentUser, session: SessionDep) -> CourseAccess:
        course = courses_service.get_course(session, course_id=course_id)
        if course is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no course with id {course_id}")
        if user.has_role("admin"):
            return CourseAccess(course, "admin")
        role = courses_service.member_role(session, course_id=course_id, user_id=user.id)
        if role is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "you are not a member of this course")
        if role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"requires course role: {' or '.join(allowed)}"
            )
        return CourseAccess(course, role)

    return check


CourseMember = Annotated[CourseAccess, Depends(course_access("student", "instructor"))]
CourseStaff = Annotated[CourseAccess, Depends(course_access("instructor"))]


def course_public(course: Course, role: str | None) -> CoursePublic:
    return CoursePublic(
        id=course.id,
        code=course.code,
        title=course.title,
        tutor_policy=course.tutor_policy or {},
        created_at=course.created_at,
        role=role,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CoursePublic,
    dependencies=[Depends(require_roles("admin"))],
    responses=error_responses(400, 409),
)
def create_course(body: CourseCreate, session: SessionDep) -> CoursePublic:
    """Create a course (admins)."""
    policy = body.tutor_policy.stored() if body.tutor_policy else {}
    course = courses_service.create_course(
        session, code=body.code, title=body.title, tutor_policy=policy
    )
    return course_public(course, None)


@router.get("", response_model=CoursesPublic)
def read_courses(
    user: CurrentUser,
    session: SessionDep,
    mine: Annotated[
        bool,
        Query(description="only the caller's own courses, also for admins (the widget's list)"),
    ] = False,
) -> CoursesPublic:
    """The caller's courses with their role in each; admins see every course unless `mine`."""
    rows = courses_service.list_courses(
        session, user_id=user.id, include_all=user.has_role("admin") and not mine
    )
    return CoursesPublic(data=[course_public(c, r) for c, r in rows], count=len(rows))


@router.get("/{course_id}", response_model=CoursePublic, responses=IN_COURSE)
def read_course(access: CourseMember) -> CoursePublic:
    """One course the caller belongs to."""
    return course_public(access.course, access.role)


@router.get("/{course_id}/members", response_model=MembersPublic, responses=IN_COURSE)
def read_members(access: CourseStaff, session: SessionDep) -> MembersPublic:
    """The course's instructors and students (course staff; emails of their own students)."""
    rows = courses_service.list_members(session, course_id=access.course.id, actor_role=access.role)
    return MembersPublic(data=[MemberPublic.model_validate(r) for r in rows], count=len(rows))


@router.post(
    "/{course_id}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberPublic,
    responses={**BODY, **IN_COURSE},
)
def create_member(body: MemberCreate, access: CourseStaff, session: SessionDep) -> MemberPublic:
    """Enrol a user (or change their role); instructors enrol student accounts only."""
    member = courses_service.enrol(
        session,
        course_id=access.course.id,
        actor_role=access.role,
        role=body.role,
        user_id=body.user_id,
        username=body.username,
    )
    return MemberPublic.model_validate(member)


@router.delete(
    "/{course_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=IN_COURSE
)
def delete_member(user_id: UserIdPath, access: CourseStaff, session: SessionDep) -> Response:
    """Remove a member; only admins remove instructors."""
    courses_service.unenrol(
        session, course_id=access.course.id, actor_role=access.role, user_id=user_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{course_id}/policy", response_model=TutorPolicy, responses=IN_COURSE)
def read_policy(access: CourseMember) -> TutorPolicy:
    """The course's tutor policy, with defaults filled in."""
    stored = access.course.tutor_policy or {}
    return TutorPolicy.model_validate(
        {k: v for k, v in stored.items() if k in TutorPolicy.model_fields}
    )


@router.put("/{course_id}/policy", response_model=CoursePublic, responses={**BODY, **IN_COURSE})
def update_policy(body: TutorPolicy, access: CourseStaff, session: SessionDep) -> CoursePublic:
    """Replace the course's tutor policy (course instructors and admins)."""
    course = courses_service.set_policy(session, course=access.course, policy=body.stored())
    return course_public(course, access.role)


@router.get("/{course_id}/summary", response_model=CourseSummaryPublic, responses=IN_COURSE)
def read_course_summary(access: CourseStaff, session: SessionDep) -> CourseSummaryPublic:
    """Per student: how often they asked the tutor here, the helpful share and mean score."""
    rows = courses_service.interaction_summary(session, course_id=access.course.id)
    return CourseSummaryPublic(
        course_id=access.course.id,
        join_code=joincodes.display(access.course.join_code),
        data=[StudentSummary(**r) for r in rows],
    )


# -- join codes (REGISTRATION=course-code) -------------------------------------------------


@router.post("/{course_id}/join-code", response_model=JoinCodePublic, responses=IN_COURSE)
def rotate_join_code(access: CourseStaff, session: SessionDep) -> JoinCodePublic:
    """Create or replace the course's join code (course instructors and admins)."""
    code = joincodes.rotate_join_code(session, course=access.course)
    return JoinCodePublic(course_id=access.course.id, join_code=code)


@router.delete(
    "/{course_id}/join-code", status_code=status.HTTP_204_NO_CONTENT, responses=IN_COURSE
)
def expire_join_code(access: CourseStaff, session: SessionDep) -> Response:
    """Stop registrations with the course's code until a new one is created."""
    joincodes.expire_join_code(session, course=access.course)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
