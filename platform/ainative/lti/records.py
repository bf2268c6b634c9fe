"""From a validated launch to the platform's records: account, course, membership.

`resolve` decides the next step of a launch in one transaction:
- a learner (or TA) into a context no instructor has set up: refused, "not set up yet";
- an identity seen for the first time: the person chooses a new account or links an
  existing one (by its password; the hub's /hub/lti13/continue);
- an instructor's first launch into a context: they choose a new course or one they
  already teach (created at once when they teach none);
- otherwise the membership is made or its role updated to the LMS's, audit-logged,
  and the account logs in.
Never commits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ainative import audit
from ainative.course import courses
from ainative.course.errors import DuplicateCourseError
from ainative.db.models import Course, LtiContext, LtiUsedNonce, Membership
from ainative.lti import claims as c
from ainative.lti import identities
from ainative.lti.claims import Launch
from ainative.lti.errors import LaunchRefused

_NOTEBOOK_RE = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9_ ./-]{0,200}\.ipynb\Z")
DEFAULT_NOTEBOOK = "tutor.ipynb"


@dataclass(frozen=True)
class Step:
    """What the launch needs next: `ready` (log in), `account`, `course` or refused."""

    kind: str
    user_id: int | None = None
    course_id: int | None = None
    courses: list[dict[str, Any]] = field(default_factory=list)


def consume_nonce(session: Session, nonce: str) -> None:
    """Record the nonce as used; LaunchRefused when it already was (a replayed launch)."""
    digest = hashlib.sha256(nonce.encode()).hexdigest()
    stmt = insert(LtiUsedNonce).values(nonce_hash=digest).on_conflict_do_nothing()
    if session.execute(stmt.returning(LtiUsedNonce.nonce_hash)).first() is None:
        raise LaunchRefused("nonce", "This launch was already used once (its nonce is spent).")


def safe_notebook(path: str) -> str:
    """A notebook path relative to the student's home, or '' when it is not one."""
    path = path.strip().lstrip("/")
    if not _NOTEBOOK_RE.match(path) or ".." in path.split("/"):
        return ""
    return path


def notebook_of(claims: dict[str, Any]) -> str:
    """custom `notebook`, else a `notebook` query or .ipynb path in target_link_uri."""
    custom = claims.get(c.CUSTOM)
    if isinstance(custom, dict) and custom.get("notebook"):
        return safe_notebook(str(custom["notebook"]))
    target = urlsplit(str(claims.get(c.TARGET_LINK_URI) or ""))
    wanted = parse_qs(target.query).get("notebook")
    if wanted:
        return safe_notebook(wanted[0])
    if target.path.endswith(".ipynb") and "/lab/tree/" in target.path:
        return safe_notebook(target.path.split("/lab/tree/", 1)[1])
    return ""


def launch_from_claims(platform_id: int, client_id: str, claims: dict[str, Any]) -> Launch:
    context = claims.get(c.CONTEXT) or {}
    nrps = claims.get(c.NRPS) or {}
    name = (
        str(claims.get("name") or "").strip()
        or " ".join(str(claims.get(k) or "") for k in ("given_name", "family_name")).strip()
    )
    return Launch(
        platform_id=platform_id,
        issuer=str(claims["iss"]),
        client_id=client_id,
        deployment_id=str(claims.get(c.DEPLOYMENT_ID) or ""),
        subject=str(claims["sub"]),
        role=c.course_role(claims.get(c.ROLES) or ()),
        context_id=str(context.get("id") or ""),
        context_title=str(context.get("title") or "")[:200],
        context_label=str(context.get("label") or "")[:64],
        name=name[:200],
        email=str(claims.get("email") or "")[:320],
        memberships_url=str(nrps.get("context_memberships_url") or "")
        if isinstance(nrps, dict)
        else "",
        notebook=notebook_of(claims),
    )


def _context(session: Session, launch: Launch) -> LtiContext | None:
    return session.execute(
        select(LtiContext).where(
            LtiContext.platform_id == launch.platform_id,
            LtiContext.context_id == launch.context_id,
        )
    ).scalar_one_or_none()


def taught_courses(session: Session, user_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Course.id, Course.code, Course.title)
        .join(Membership, Membership.course_id == Course.id)
        .where(Membership.user_id == user_id, Membership.role == "instructor")
        .order_by(Course.code)
    ).all()
    return [{"id": i, "code": code, "title": title} for i, code, title in rows]


def resolve(session: Session, launch: Launch) -> Step:
    """The launch's next step; a `ready` step has its membership written."""
    if launch.role is None:
        raise LaunchRefused(
            "roles", "Your LMS role is none this tool knows (Learner, Instructor, TA)."
        )
    context = _context(session, launch)
    if context is None and launch.role != "instructor":
        raise LaunchRefused(
            "context",
            "This course is not set up on the hub yet: your instructor opens this link once "
            "from the LMS to set it up. Try again after that.",
        )
    user_id = identities.find_user_id(session, issuer=launch.issuer, subject=launch.subject)
    if user_id is None:
        return Step("account")
    if context is None:
        taught = taught_courses(session, user_id)
        if taught:
            return Step("course", user_id=user_id, courses=taught)
        context = bind_context(session, launch, user_id=user_id, course_id=None)
    elif context.memberships_url != (launch.memberships_url or None) and launch.memberships_url:
        context.memberships_url = launch.memberships_url
    enrol(session, launch, user_id=user_id, course_id=context.course_id)
    return Step("ready", user_id=user_id, course_id=context.course_id)


def new_account(session: Session, launch: Launch) -> int:
    """The person chose a new account for this identity (a second click finds the first)."""
    known = identities.find_user_id(session, issuer=launch.issuer, subject=launch.subject)
    if known is not None:
        return known
    user = identities.create_account(
        session,
        issuer=launch.issuer,
        subject=launch.subject,
        kind="lti",
        name=launch.name,
        email=launch.email,
    )
    return user.id


def _new_course(session: Session, launch: Launch) -> int:
    """A course for the context, its code from the LMS label (-2, -3... when taken)."""
    base = re.sub(r"[^A-Za-z0-9-]+", "-", launch.context_label or launch.context_title)
    base = base.strip("-")[:56] or "LMS-COURSE"
    for n in range(1, 100):
        code = base if n == 1 else f"{base}-{n}"
        try:
            return courses.create_course(session, code=code, title=launch.context_title or code).id
        except DuplicateCourseError:
            continue
    raise LaunchRefused("context", f"No free course code near {base!r}; ask an administrator.")


def bind_context(
    session: Session, launch: Launch, *, user_id: int, course_id: int | None
) -> LtiContext:
    """Bind the launch's context to `course_id` (an instructor's own course) or a new one.

    Two first launches at once: the second finds the first one's binding (and makes no
    second course).
    """
    if course_id is not None and (
        courses.member_role(session, course_id=course_id, user_id=user_id) != "instructor"
    ):
        raise LaunchRefused("context", "You can link the LMS course only to a course you teach.")
    try:
        with session.begin_nested():
            bound = course_id if course_id is not None else _new_course(session, launch)
            context = LtiContext(
                platform_id=launch.platform_id,
                deployment_id=launch.deployment_id,
                context_id=launch.context_id,
                course_id=bound,
                title=launch.context_title,
                memberships_url=launch.memberships_url or None,
            )
            session.add(context)
            session.flush()
    except IntegrityError:
        existing = _context(session, launch)
        if existing is None:
            raise
        return existing
    audit.record(
        session,
        actor_id=user_id,
        action="lti.course_linked",
        course_id=context.course_id,
        details={"issuer": launch.issuer, "context_id": launch.context_id},
    )
    return context


def enrol(session: Session, launch: Launch, *, user_id: int, course_id: int) -> None:
    """The membership the LMS says, made or updated by the person's own launch."""
    role = launch.role or "student"
    current = courses.member_role(session, course_id=course_id, user_id=user_id)
    if role == "instructor":
        identities.grant_instructor(session, user_id=user_id)
    if current == role:
        return
    courses.add_member(session, course_id=course_id, user_id=user_id, role=role)
    audit.record(
        session,
        actor_id=user_id,
        action="membership.joined",
        course_id=course_id,
        target_user_id=user_id,
        details={"role": role, "via": "lti", "previous": current},
    )
