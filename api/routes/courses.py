"""Routes: courses, memberships and each course's tutor policy.

Admins create courses and may do anything in them, enrolling any account; a course's
instructors invite students (who join when they accept, api.routes.invitations) and set
its tutor policy; its students can read it. Access to one course is decided once, by the
`course_access` dependency.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from sqlalchemy.orm import Session

from ainative.course import courses as courses_service
from ainative.course import invitations, joincodes
from ainative.db.models import Course
from api.deps import CurrentUser, Principal, TutorUser, require_roles
from api.schemas.bounds import CourseIdPath, UserIdPath
from api.schemas.courses import (
    CourseCreate,
    CoursePublic,
    CoursesPublic,
    CourseSummaryPublic,
    InvitationSent,
    JoinCodePublic,
    MemberCreate,
    MemberPublic,
    MembersPublic,
    StudentSummary,
    TutorPolicy,
    TutorPolicyPublic,
)
from api.schemas.errors import error_responses
from api.state import ApiState, StateDep

router = APIRouter(
    prefix="/api/v1/courses", tags=["courses"], responses=error_responses(401, 403, 422, 503)
)
BODY = error_responses(400)
IN_COURSE = error_responses(404)


@dataclass(frozen=True)
class CourseAccess:
    course: Course  # as read when access was decided (detached: read it again to change it)
    role: str  # "admin", "instructor" or "student"


def _access(
    session: Session, *, course_id: int, user: Principal, allowed: tuple[str, ...]
) -> CourseAccess:
    course = courses_service.get_course(session, course_id=course_id)
    if course is None:
        raise _no_course(course_id)
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


def _no_course(course_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no course with id {course_id}")


def course_access(
    *allowed: str,
) -> Callable[[int, Principal, ApiState], Awaitable[CourseAccess]]:
    """A dependency: the course of the path, if the caller is an admin or holds `allowed`."""

    async def check(course_id: CourseIdPath, user: CurrentUser, state: StateDep) -> CourseAccess:
        return await state.db(_access, course_id=course_id, user=user, allowed=allowed)

    return check


CourseMember = Annotated[CourseAccess, Depends(course_access("student", "instructor"))]
CourseStaff = Annotated[CourseAccess, Depends(course_access("instructor"))]


def course_public(course: Course, role: str | None, *, admin: bool = False) -> CoursePublic:
    """The course as a caller with `role` in it sees it (students: no tutor-only fields)."""
    staff = courses_service.is_course_staff(role, admin=admin)
    return CoursePublic(
        id=course.id,
        code=course.code,
        title=course.title,
        tutor_policy=courses_service.policy_seen_by(course.tutor_policy, staff=staff),
        created_at=course.created_at,
        role=role,
    )


def _course(session: Session, course_id: int) -> Course:
    """The course again, in this transaction, to change it."""
    course = courses_service.get_course(session, course_id=course_id)
    if course is None:
        raise _no_course(course_id)
    return course


def _create_course(
    session: Session, *, code: str, title: str, policy: dict[str, Any]
) -> CoursePublic:
    course = courses_service.create_course(session, code=code, title=title, tutor_policy=policy)
    session.flush()  # the server's defaults (created_at) are read back in this transaction
    return course_public(course, None, admin=True)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CoursePublic,
    dependencies=[Depends(require_roles("admin"))],
    responses=error_responses(400, 409),
)
async def create_course(body: CourseCreate, state: StateDep) -> CoursePublic:
    """Create a course (admins)."""
    policy = body.tutor_policy.stored() if body.tutor_policy else {}
    return await state.db(_create_course, code=body.code, title=body.title, policy=policy)


def _list_courses(
    session: Session, *, user_id: int, include_all: bool, admin: bool
) -> CoursesPublic:
    rows = courses_service.list_courses(session, user_id=user_id, include_all=include_all)
    return CoursesPublic(data=[course_public(c, r, admin=admin) for c, r in rows], count=len(rows))


@router.get("", response_model=CoursesPublic)
async def read_courses(
    user: TutorUser,
    state: StateDep,
    mine: Annotated[
        bool,
        Query(description="only the caller's own courses, also for admins (the widget's list)"),
    ] = False,
) -> CoursesPublic:
    """The caller's courses with their role in each; admins see every course unless `mine`
    (a notebook server's token always reads only the caller's own, as a student would)."""
    admin = user.has_role("admin") and user.scope is None
    return await state.db(
        _list_courses, user_id=user.id, include_all=admin and not mine, admin=admin
    )


@router.get("/{course_id}", response_model=CoursePublic, responses=IN_COURSE)
async def read_course(access: CourseMember) -> CoursePublic:
    """One course the caller belongs to."""
    return course_public(access.course, access.role)


@router.get("/{course_id}/members", response_model=MembersPublic, responses=IN_COURSE)
async def read_members(access: CourseStaff, state: StateDep) -> MembersPublic:
    """The course's instructors and students (course staff; emails of their own students)."""
    rows = await state.db(
        courses_service.list_members, course_id=access.course.id, actor_role=access.role
    )
    return MembersPublic(data=[MemberPublic.model_validate(r) for r in rows], count=len(rows))


@router.post(
    "/{course_id}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=None,  # one model per status, as `responses` declares them
    responses={
        **BODY,
        **IN_COURSE,
        201: {"model": MemberPublic, "description": "an admin enrolled the account"},
        202: {
            "model": InvitationSent,
            "description": "an instructor's invitation; the same whether or not the account exists",
        },
    },
)
async def create_member(
    body: MemberCreate,
    access: CourseStaff,
    caller: CurrentUser,
    state: StateDep,
    response: Response,
) -> MemberPublic | InvitationSent:
    """Admins enrol a user (or change their role); instructors invite a student account,
    which joins when it accepts."""
    if access.role != "admin":
        if body.role != "student":
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins assign instructors")
        sent = await state.db(
            invitations.invite,
            course_id=access.course.id,
            actor_id=caller.id,
            user_id=body.user_id,
            login=body.username,
        )
        response.status_code = status.HTTP_202_ACCEPTED
        return InvitationSent(detail=sent)
    member = await state.db(
        courses_service.enrol,
        course_id=access.course.id,
        actor_id=caller.id,
        actor_role=access.role,
        role=body.role,
        user_id=body.user_id,
        username=body.username,
    )
    return MemberPublic.model_validate(member)


@router.delete(
    "/{course_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=IN_COURSE
)
async def delete_member(
    user_id: UserIdPath, access: CourseStaff, caller: CurrentUser, state: StateDep
) -> Response:
    """Remove a member; only admins remove instructors."""
    await state.db(
        courses_service.unenrol,
        course_id=access.course.id,
        actor_id=caller.id,
        actor_role=access.role,
        user_id=user_id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{course_id}/policy", response_model=TutorPolicyPublic, responses=IN_COURSE)
async def read_policy(access: CourseMember) -> TutorPolicyPublic:
    """The course's tutor policy, with defaults filled in; students get no extra_context."""
    stored = access.course.tutor_policy or {}
    policy = TutorPolicy.model_validate(
        {k: v for k, v in stored.items() if k in TutorPolicy.model_fields}
    )
    staff = courses_service.is_course_staff(access.role, admin=False)
    # A field left out here is null in the reply: students get extra_context null.
    seen = courses_service.policy_seen_by(policy.model_dump(), staff=staff)
    return TutorPolicyPublic.model_validate(seen)


def _set_policy(
    session: Session, *, course_id: int, policy: dict[str, Any], role: str
) -> CoursePublic:
    course = courses_service.set_policy(session, course=_course(session, course_id), policy=policy)
    return course_public(course, role)


@router.put("/{course_id}/policy", response_model=CoursePublic, responses={**BODY, **IN_COURSE})
async def update_policy(body: TutorPolicy, access: CourseStaff, state: StateDep) -> CoursePublic:
    """Replace the course's tutor policy (course instructors and admins)."""
    return await state.db(
        _set_policy, course_id=access.course.id, policy=body.stored(), role=access.role
    )


@router.get("/{course_id}/summary", response_model=CourseSummaryPublic, responses=IN_COURSE)
async def read_course_summary(access: CourseStaff, state: StateDep) -> CourseSummaryPublic:
    """Per student: how often they asked the tutor here, the helpful share and mean score."""
    rows = await state.db(courses_service.interaction_summary, course_id=access.course.id)
    return CourseSummaryPublic(
        course_id=access.course.id,
        join_code=joincodes.display(access.course.join_code),
        data=[StudentSummary(**r) for r in rows],
    )


# -- join codes (REGISTRATION=course-code) -------------------------------------------------


def _rotate_join_code(session: Session, *, course_id: int) -> str:
    return joincodes.rotate_join_code(session, course=_course(session, course_id))


def _expire_join_code(session: Session, *, course_id: int) -> None:
    joincodes.expire_join_code(session, course=_course(session, course_id))


@router.post("/{course_id}/join-code", response_model=JoinCodePublic, responses=IN_COURSE)
async def rotate_join_code(access: CourseStaff, state: StateDep) -> JoinCodePublic:
    """Create or replace the course's join code (course instructors and admins)."""
    code = await state.db(_rotate_join_code, course_id=access.course.id)
    return JoinCodePublic(course_id=access.course.id, join_code=code)


@router.delete(
    "/{course_id}/join-code", status_code=status.HTTP_204_NO_CONTENT, responses=IN_COURSE
)
async def expire_join_code(access: CourseStaff, state: StateDep) -> Response:
    """Stop registrations with the course's code until a new one is created."""
    await state.db(_expire_join_code, course_id=access.course.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
