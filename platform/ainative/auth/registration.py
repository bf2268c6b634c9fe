"""Self-registration under the REGISTRATION setting: open, course-code or closed.

`register` is the one implementation: the API's POST /api/v1/auth/register calls it,
and a hub sign-up page can call it too. With course-code, a student joins with their
course's join code (ainative.course.joincodes) and is enrolled in it as a student; closed
leaves account creation to staff (`ainative users create`, POST /api/v1/users).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from ainative import audit
from ainative.auth.errors import (
    DeletedUsernameError,
    DuplicateUserError,
    InvalidJoinCodeError,
    RegistrationClosedError,
)
from ainative.auth.users import create_user
from ainative.course import joincodes
from ainative.db.models import Course, Membership, User

RegistrationMode = Literal["open", "course-code", "closed"]
CLOSED_MESSAGE = (
    "registration is closed: your instructor or an administrator creates accounts; ask them"
)
CODE_REQUIRED = "a course join code is required to register: ask your instructor for it"
CODE_INVALID = "that course join code is not valid (it may have been replaced): ask your instructor"
CODE_RETIRED = {
    "replaced": "that join code was replaced by a new one: ask your instructor for the new code",
    "expired": "that join code has expired: the course takes no sign-ups with it now",
}
TAKEN = "that username or email cannot be registered: choose another, or log in"


def register(
    session: Session,
    *,
    mode: RegistrationMode,
    username: str,
    email: str,
    password: str,
    join_code: str | None = None,
    research_consent: bool = False,
) -> User:
    """Create a student account as `mode` allows; with a join code, enrol it in that course.

    The conflict message never says whether the username or the email is the one taken.
    `research_consent` is the student's answer on the sign-up form, recorded with its date
    and the consent text's version (ainative.course.consent) by create_user.
    """
    if mode == "closed":
        raise RegistrationClosedError(CLOSED_MESSAGE)
    course: Course | None = None
    if join_code:
        course = joincodes.course_for_code(session, join_code)
        if course is None:
            reason = joincodes.retired_reason(session, join_code)
            raise InvalidJoinCodeError(CODE_RETIRED.get(reason or "", CODE_INVALID))
    elif mode == "course-code":
        raise InvalidJoinCodeError(CODE_REQUIRED)
    try:
        user = create_user(
            session,
            username=username,
            email=email,
            password=password,
            roles=("student",),
            research_consent=research_consent,
        )
    except DeletedUsernameError:
        raise  # its own message: another name is needed, logging in will not help
    except DuplicateUserError as exc:
        raise DuplicateUserError(TAKEN) from exc
    if course is not None:
        session.add(Membership(course_id=course.id, user_id=user.id, role="student"))
        audit.record(
            session,
            actor_id=user.id,
            action="membership.joined",
            course_id=course.id,
            target_user_id=user.id,
            details={"by": "join_code"},
        )
    return user
