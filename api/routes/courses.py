"""Routes: courses, memberships and each course's tutor policy.

Admins create courses and may do anything in them, enrolling any account; a course's
instructors invite students and teaching assistants (who join when they accept,
api.routes.invitations) and set its tutor policy; its students can read it. Access to one
course is decided once, by the `course_access` dependency, with one alias per kind of route:

- `CourseMember` (student, assistant, instructor, admin): read the course and its policy;
- `CourseReader` (assistant, instructor, admin): the roster, summary, questions, live view;
- `CourseStaff` (instructor, admin): change policy, members, join codes, experiments.

These routes take the staff console's token (scope "console", `StaffCaller`) as well as a
full access token; a notebook server's token is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from sqlalchemy.orm import Session

from ainative import audit
from ainative.auth.tokens import CONSOLE_SCOPE
from ainative.config import Settings
from ainative.course import courses as courses_service
from ainative.course import invitations, joincodes, staff_views
from ainative.course.errors import ModelNotEnabledError
from ainative.db.models import INVITED_ROLES, Course
from ainative.llm.explanation_only import EXPLANATION_PROVIDER
from api.deps import CourseLister, Principal, StaffCaller, get_staff_admin
from api.schemas.bounds import CourseIdPath, UserIdPath
from api.schemas.courses import (
    ConsentCounts,
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
    role: str  # "admin", "instructor", "assistant" or "student"


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

    async def check(course_id: CourseIdPath, user: StaffCaller, state: StateDep) -> CourseAccess:
        return await state.db(_access, course_id=course_id, user=user, allowed=allowed)

    return check


CourseMember = Annotated[CourseAccess, Depends(course_access("student", "assistant", "instructor"))]
CourseReader = Annotated[CourseAccess, Depends(course_access("assistant", "instructor"))]
CourseStaff = Annotated[CourseAccess, Depends(course_access("instructor"))]


def check_model(provider: str | None, model: str | None, settings: Settings) -> None:
    """422 unless a policy's provider and model (defaults filled in) are enabled."""
    if provider is None and model is None:
        return
    if provider == EXPLANATION_PROVIDER:
        return  # no language model: the kernel's explanation and the static reading
    chosen = (provider or settings.llm_provider, model or settings.llm_model)
    enabled = settings.tutor_model_choices()
    if chosen not in enabled:
        names = ", ".join(f"{p}:{m}" for p, m in enabled)
        raise ModelNotEnabledError(
            f"model {chosen[1]!r} of provider {chosen[0]!r} is not enabled for courses; "
            f"choose one of {names} (GET /api/v1/tutor/models)"
        )


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
    dependencies=[Depends(get_staff_admin)],
    responses=error_responses(400, 409),
)
async def create_course(body: CourseCreate, state: StateDep) -> CoursePublic:
    """Create a course (admins, also with the staff console's token)."""
    if body.tutor_policy:
        check_model(body.tutor_policy.provider, body.tutor_policy.model, state.settings)
    policy = body.tutor_policy.stored() if body.tutor_policy else {}
    return await state.db(_create_course, code=body.code, title=body.title, policy=policy)


def _list_courses(
    session: Session, *, user_id: int, include_all: bool, admin: bool
) -> CoursesPublic:
    rows = courses_service.list_courses(session, user_id=user_id, include_all=include_all)
    return CoursesPublic(data=[course_public(c, r, admin=admin) for c, r in rows], count=len(rows))


@router.get("", response_model=CoursesPublic)
async def read_courses(
    user: CourseLister,
    state: StateDep,
    mine: Annotated[
        bool,
        Query(description="only the caller's own courses, also for admins (the widget's list)"),
    ] = False,
) -> CoursesPublic:
    """The caller's courses with their role in each; admins see every course unless `mine`
    (a notebook server's token always reads only the caller's own, as a student would)."""
    admin = user.has_role("admin") and user.scope in (None, CONSOLE_SCOPE)
    return await state.db(
        _list_courses, user_id=user.id, include_all=admin and not mine, admin=admin
    )


@router.get("/{course_id}", response_model=CoursePublic, responses=IN_COURSE)
async def read_course(access: CourseMember) -> CoursePublic:
    """One course the caller belongs to."""
    return course_public(access.course, access.role)


def _roster(session: Session, *, course_id: int, actor_role: str) -> MembersPublic:
    rows = courses_service.list_members(session, course_id=course_id, actor_role=actor_role)
    activity = staff_views.roster_activity(session, course_id=course_id)
    data = [MemberPublic.model_validate({**asdict(r), **activity.get(r.user_id, {})}) for r in rows]
    consent = staff_views.consent_counts(session, course_id=course_id)
    return MembersPublic(data=data, count=len(data), consent_counts=ConsentCounts(**consent))


@router.get("/{course_id}/members", response_model=MembersPublic, responses=IN_COURSE)
async def read_members(access: CourseReader, state: StateDep) -> MembersPublic:
    """The course's instructors, assistants and students with their activity here (joined,
    last active, questions, last error type); research consent as counts only (per member
    for admins alone); instructors see the emails of their own students."""
    return await state.db(_roster, course_id=access.course.id, actor_role=access.role)


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
    caller: StaffCaller,
    state: StateDep,
    response: Response,
) -> MemberPublic | InvitationSent:
    """Admins enrol a user (or change their role); instructors invite an account as a
    student or a teaching assistant, which joins when it accepts."""
    if access.role != "admin":
        if body.role not in INVITED_ROLES:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins assign instructors")
        sent = await state.db(
            invitations.invite,
            course_id=access.course.id,
            actor_id=caller.id,
            user_id=body.user_id,
            login=body.username,
            role=body.role,
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
    user_id: UserIdPath, access: CourseStaff, caller: StaffCaller, state: StateDep
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
    session: Session, *, course_id: int, policy: dict[str, Any], role: str, actor_id: int
) -> CoursePublic:
    course = courses_service.set_policy(
        session, course=_course(session, course_id), policy=policy, changed_by=actor_id
    )
    audit.record(
        session,
        actor_id=actor_id,
        action="policy.changed",
        course_id=course_id,
        details={"version": course.policy_version},
    )
    return course_public(course, role)


@router.put("/{course_id}/policy", response_model=CoursePublic, responses={**BODY, **IN_COURSE})
async def update_policy(
    body: TutorPolicy, access: CourseStaff, caller: StaffCaller, state: StateDep
) -> CoursePublic:
    """Replace the course's tutor policy (course instructors and admins); its model must be
    one of `GET tutor/models`."""
    check_model(body.provider, body.model, state.settings)
    return await state.db(
        _set_policy,
        course_id=access.course.id,
        policy=body.stored(),
        role=access.role,
        actor_id=caller.id,
    )


@router.get("/{course_id}/summary", response_model=CourseSummaryPublic, responses=IN_COURSE)
async def read_course_summary(access: CourseReader, state: StateDep) -> CourseSummaryPublic:
    """Per student: how often they asked the tutor here, the helpful share and mean score."""
    rows = await state.db(courses_service.interaction_summary, course_id=access.course.id)
    return CourseSummaryPublic(
        course_id=access.course.id,
        join_code=joincodes.display(access.course.join_code),
        data=[StudentSummary(**r) for r in rows],
    )


# -- join codes (REGISTRATION=course-code) -------------------------------------------------


def _rotate_join_code(session: Session, *, course_id: int, actor_id: int) -> str:
    code = joincodes.rotate_join_code(session, course=_course(session, course_id))
    audit.record(session, actor_id=actor_id, action="join_code.rotated", course_id=course_id)
    return code


def _expire_join_code(session: Session, *, course_id: int, actor_id: int) -> None:
    joincodes.expire_join_code(session, course=_course(session, course_id))
    audit.record(session, actor_id=actor_id, action="join_code.expired", course_id=course_id)


@router.post("/{course_id}/join-code", response_model=JoinCodePublic, responses=IN_COURSE)
async def rotate_join_code(
    access: CourseStaff, caller: StaffCaller, state: StateDep
) -> JoinCodePublic:
    """Create or replace the course's join code (course instructors and admins)."""
    code = await state.db(_rotate_join_code, course_id=access.course.id, actor_id=caller.id)
    return JoinCodePublic(course_id=access.course.id, join_code=code)


@router.delete(
    "/{course_id}/join-code", status_code=status.HTTP_204_NO_CONTENT, responses=IN_COURSE
)
async def expire_join_code(access: CourseStaff, caller: StaffCaller, state: StateDep) -> Response:
    """Stop registrations with the course's code until a new one is created."""
    await state.db(_expire_join_code, course_id=access.course.id, actor_id=caller.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
