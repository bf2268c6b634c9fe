"""The schema: accounts, courses, tutoring sessions, the interaction trace and events.

Interactions are the research trace of one tutoring request; events hold everything
else a researcher needs (session start/end, ratings, quota hits, notebook activity)
as typed, timestamped JSON. Alembic migrations under db/migrations own the DDL.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ainative.tutor.modes import MODE_NAMES

ROLES = ("student", "instructor", "admin")
COURSE_ROLES = ("student", "instructor")
STATUSES = ("queued", "running", "done", "error")
CLASSIFICATIONS = ("debugging", "conceptual", "implementation", "solution-request", "off-topic")
GUARDRAIL_OUTCOMES = ("passed", "rewritten", "refused", "withheld")
SCORE_MIN, SCORE_MAX = 1, 5  # the optional score of an answer, beside helpful yes/no

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(
        ARRAY(String(16)), server_default=text("ARRAY['student']::varchar[]")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    is_verified: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    research_consent: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    last_login: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped by a password, role or activation change: older access tokens stop (auth.users).
    token_generation: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("roles <@ ARRAY['student','instructor','admin']::varchar[]", name="roles"),
    )


class RefreshToken(Base):
    """One issued refresh token; a family is one login's chain of rotations."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # {"allowed_modes": [...], "quota_per_hour": int, "extra_context": str}
    tutor_policy: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # Bumped by every policy change; course_policy_versions keeps each version's policy.
    policy_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    # Students register into the course with it (REGISTRATION=course-code); None: no code.
    join_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # The hub group's name (ainative.hub.accounts.course_slug) is unique too.
        Index(
            "ix_courses_code_slug",
            text("btrim(regexp_replace(lower(code), '[^a-z0-9]+', '-', 'g'), '-')"),
            unique=True,
        ),
    )


class CoursePolicyVersion(Base):
    """A course's tutor policy as it was from `created_at` until the next version."""

    __tablename__ = "course_policy_versions"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONB)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Experiment(Base):
    """A comparison of tutor policies in one course; at most one runs per course at a time."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, server_default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("course_id", "name", name="uq_experiments_course_name"),
        Index(
            "uq_experiments_one_running",
            "course_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
        ),
    )


class ExperimentArm(Base):
    """One condition: a policy laid over the course's (modes, guardrail, model, prompt...)."""

    __tablename__ = "experiment_arms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    policy: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

    __table_args__ = (UniqueConstraint("experiment_id", "name", name="uq_experiment_arms_name"),)


class ExperimentAssignment(Base):
    """A student's arm in an experiment: chosen once, kept for every later session."""

    __tablename__ = "experiment_assignments"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    arm_id: Mapped[int] = mapped_column(ForeignKey("experiment_arms.id", ondelete="CASCADE"))
    assigned_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Membership(Base):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("course_id", "user_id", name="uq_memberships_course_user"),
        CheckConstraint(_in("role", COURSE_ROLES), name="role"),
    )


class TutorSession(Base):
    """A stretch of one student's work with the tutor (a notebook, a lab)."""

    __tablename__ = "tutor_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    client: Mapped[str] = mapped_column(String(32), server_default="api")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Interaction(Base):
    """The research trace of one tutoring request, from submission to answer."""

    __tablename__ = "interactions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tutor_sessions.id", ondelete="SET NULL")
    )
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    client_request_id: Mapped[str | None] = mapped_column(String(64))
    # The turn within its session's conversation (1 = first question, no history).
    turn: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    # Which exercise the question was about: the notebook's path and the cell's id.
    notebook_path: Mapped[str | None] = mapped_column(String(500))
    cell_id: Mapped[str | None] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str] = mapped_column(Text)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    answer: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), server_default="queued")
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    cache_hit: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    provider: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(100))
    prompt_version: Mapped[str | None] = mapped_column(String(16))
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    queue_ms: Mapped[int | None] = mapped_column(Integer)
    llm_ms: Mapped[int | None] = mapped_column(Integer)
    ttft_ms: Mapped[int | None] = mapped_column(Integer)  # LLM call start -> first token
    total_ms: Mapped[int | None] = mapped_column(Integer)
    classification: Mapped[str | None] = mapped_column(String(24))
    guardrail: Mapped[str | None] = mapped_column(String(16))
    guardrail_detail: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    experiment_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiments.id", ondelete="SET NULL")
    )
    arm_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiment_arms.id", ondelete="SET NULL")
    )
    policy_version: Mapped[int | None] = mapped_column(Integer)  # of its course's policy
    # Two scales, never mixed: the thumbs (helpful yes/no) and an optional 1-5 score.
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("mode", MODE_NAMES), name="mode"),
        CheckConstraint(
            f"score IS NULL OR score BETWEEN {SCORE_MIN} AND {SCORE_MAX}", name="score"
        ),
        CheckConstraint("turn >= 1", name="turn"),
        UniqueConstraint("user_id", "client_request_id", name="uq_interactions_client_request"),
        Index("ix_interactions_user_created", "user_id", "created_at"),
        Index("ix_interactions_course_created", "course_id", "created_at"),
        Index("ix_interactions_session_turn", "session_id", "turn"),
        Index(
            "ix_interactions_unfinished",
            "status",
            "created_at",
            postgresql_where=text("status IN ('queued','running')"),
        ),
    )


class Event(Base):
    """A typed, timestamped research event with a JSON payload."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tutor_sessions.id", ondelete="SET NULL")
    )
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    notebook_path: Mapped[str | None] = mapped_column(String(500))  # the notebook it came from
    cell_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

    __table_args__ = (
        Index("ix_events_user_occurred", "user_id", "occurred_at"),
        Index("ix_events_type_occurred", "event_type", "occurred_at"),
    )


class ConsentRecord(Base):
    """One change of a user's research consent, dated, with the consent text's version.

    The view `consent_periods` (migration 0006) turns these into the periods in which
    consent was in force; research loaders keep only what was recorded inside one.
    """

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    given: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), server_default="api")
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (Index("ix_consent_records_user_recorded", "user_id", "recorded_at"),)


class UsedLoginToken(Base):
    """Single-use hub login tokens: a second insert of the same jti is a replay."""

    __tablename__ = "used_login_tokens"

    jti: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RetiredJoinCode(Base):
    """A course's former join code and why it stopped ('replaced' or 'expired')."""

    __tablename__ = "retired_join_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))
    retired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PasswordReset(Base):
    """A one-time password reset link: the SHA-256 of its token, expiry and use."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The account's token generation when the link was made: a password, role or
    # activation change since then voids the link (auth.resets.find_reset).
    target_generation: Mapped[int] = mapped_column(Integer)
    # Set when a newer link for the same account replaced this one: one live link each.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "uq_password_resets_one_live",
            "user_id",
            unique=True,
            postgresql_where=text("used_at IS NULL AND revoked_at IS NULL"),
        ),
    )


class CourseInvitation(Base):
    """An instructor's invitation of an existing account to a course as a student.

    It grants nothing (no membership, no hub group) until the invited account accepts it
    (ainative.course.invitations); declining or accepting deletes it.
    """

    __tablename__ = "course_invitations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("course_id", "user_id", name="uq_course_invitations_course_user"),
    )


class AuditEntry(Base):
    """Who did what to whom: enrolments, invitations, reset links (ainative.audit).

    Written in the transaction of the action it records; the ids become NULL when the
    account or course is deleted, the action and its time stay.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

    __table_args__ = (
        Index("ix_audit_log_target_at", "target_user_id", "at"),
        Index("ix_audit_log_course_at", "course_id", "at"),
    )


class DeletedUsername(Base):
    """A deleted account's username, as a keyed hash: never registered again (issue 20.5)."""

    __tablename__ = "deleted_usernames"

    name_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HubDeletion(Base):
    """A deleted account's hub part still to remove: hub user, servers and storage.

    The row is written with the account's deletion and dropped once the hub confirmed;
    `attempts` and `last_error` tell an operator why one lingers.
    """

    __tablename__ = "hub_deletions"

    hub_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
