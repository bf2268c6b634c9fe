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
    Float,
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
COURSE_ROLES = ("student", "assistant", "instructor")  # assistant: a teaching assistant
INVITED_ROLES = ("student", "assistant")  # what an instructor may invite an account as
STATUSES = ("queued", "running", "done", "error")
CLASSIFICATIONS = ("debugging", "conceptual", "implementation", "solution-request", "off-topic")
GUARDRAIL_OUTCOMES = ("passed", "rewritten", "refused", "withheld")
AI_WINDOW_MODES = ("normal", "hints-only", "off")  # an assignment's or course's AI window
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
    # Frozen at start (course.preregistration): hypothesis, primary outcome, plan, commit.
    preregistration: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    registered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

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


class ExperimentAllocation(Base):
    """One assignment in the allocation log: sequence, block, arm and the arm counts after it.

    No user id: an auditor checks the permuted blocks without the pseudonym key, and the
    log survives account deletion as anonymised counts.
    """

    __tablename__ = "experiment_allocations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    block: Mapped[int] = mapped_column(Integer)
    arm: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict[str, int]] = mapped_column(JSONB)
    assigned_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (
        UniqueConstraint("experiment_id", "seq", name="uq_experiment_allocations_seq"),
    )


class ResearchExport(Base):
    """One research export or report: what made it (provenance) and when, per pseudonym key.

    The next export of the same kind and key lists the SubjectIDs withdrawn since this one.
    """

    __tablename__ = "research_exports"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(16))  # a digest of the key, never the key
    provenance: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_research_exports_kind_key", "kind", "key_id", "created_at"),)


class ErasedSubject(Base):
    """The SubjectID of a student who erased their research data, under the key then in force.

    The next export under that key lists it among the withdrawn (analytics.provenance), so
    researchers delete the student's rows from earlier copies. No user id.
    """

    __tablename__ = "erased_subjects"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(16))
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_erased_subjects_key_erased", "key_id", "erased_at"),)


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
    # The LLM's side of the turn (migration 0012): what it was sent, how, and what it wrote.
    messages_sha256: Mapped[str | None] = mapped_column(String(64))
    messages: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)  # LLM_STORE_MESSAGES
    decoding: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    response_id: Mapped[str | None] = mapped_column(String(200))
    system_fingerprint: Mapped[str | None] = mapped_column(String(200))
    model_returned: Mapped[str | None] = mapped_column(String(100))
    raw_answer: Mapped[str | None] = mapped_column(Text)  # before the guardrail
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
    # The assignment the question was asked from (its notebook), the AI window it was asked
    # in, and the answer's leak score against the assignment's reference (migration 0015):
    # {score, leak, threshold, decision, parts}; never the reference itself.
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="SET NULL")
    )
    ai_window: Mapped[str | None] = mapped_column(String(16))
    leak_score: Mapped[float | None] = mapped_column(Float)
    leak: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
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
        Index("ix_events_course_occurred", "course_id", "occurred_at"),  # the live lab view
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
    # Who recorded it: the student themself, or an admin on their behalf (NULL: migration).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
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
    """An instructor's invitation of an existing account to a course, as a student or
    a teaching assistant (`role`).

    It grants nothing (no membership, no hub group) until the invited account accepts it
    (ainative.course.invitations); declining or accepting deletes it.
    """

    __tablename__ = "course_invitations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    role: Mapped[str] = mapped_column(String(16), server_default="student")

    __table_args__ = (
        UniqueConstraint("course_id", "user_id", name="uq_course_invitations_course_user"),
        CheckConstraint(_in("role", INVITED_ROLES), name="role"),
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


class LtiPlatform(Base):
    """One LTI 1.3 registration: an LMS (issuer) and the client id it gave this tool."""

    __tablename__ = "lti_platforms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list[str]] = mapped_column(
        ARRAY(String(255)), server_default=text("'{}'::varchar[]")
    )
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    jwks_url: Mapped[str] = mapped_column(String(1000))
    token_url: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),
    )


class ExternalIdentity(Base):
    """An LMS or campus OIDC identity, (issuer, subject), of one platform account."""

    __tablename__ = "external_identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # lti | oidc
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_external_identities_issuer_subject"),
        CheckConstraint("kind IN ('lti', 'oidc')", name="kind"),
    )


class LtiContext(Base):
    """An LMS course (context) bound to a platform course, with its NRPS URL if offered."""

    __tablename__ = "lti_contexts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(255), server_default="")
    memberships_url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("platform_id", "context_id", name="uq_lti_contexts_platform_context"),
    )


class LtiUsedNonce(Base):
    """The SHA-256 of every launch nonce seen: a second launch with it is a replay."""

    __tablename__ = "lti_used_nonces"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LtiToolKey(Base):
    """The tool's RSA signing key (NRPS client assertions); its public half is the JWKS."""

    __tablename__ = "lti_tool_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LtiRosterSync(Base):
    """One NRPS roster sync of a course: when, by whom, and what it changed."""

    __tablename__ = "lti_roster_syncs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lti_context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(8), server_default="running")
    # {"added": [{user_id, username, role}], "removed": [...], "role_changed": [...]}
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("status IN ('running', 'done', 'error')", name="status"),
        Index("ix_lti_roster_syncs_course_started", "course_id", "started_at"),
    )


ESCALATION_STATUSES = ("waiting", "claimed", "answered", "resolved", "withdrawn")
ESCALATION_OPEN = ("waiting", "claimed", "answered")  # still in the staff's queue


class Escalation(Base):
    """A student's conversation handed to a person (issue 23): the line they wrote, the
    snapshot staff read (conversation, notebook, failing cell), who took it and when.

    Visible to the course's staff and the student only (ainative.escalation); deleted with
    the student's data (ainative.course.my_data).
    """

    __tablename__ = "escalations"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tutor_sessions.id", ondelete="SET NULL")
    )
    # The tutor turn the student handed over after (the session's last), and its count.
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    tutor_turns: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    classification: Mapped[str | None] = mapped_column(String(24))  # the tutor's, of that turn
    assignment_id: Mapped[int | None] = mapped_column(Integer)  # hook: assignments come later
    message: Mapped[str] = mapped_column(Text)
    # {"conversation": [...], "cells": [...], "failing_cell": {...}, "notebook": str}
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(String(10), server_default="waiting")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_reply_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("status", ESCALATION_STATUSES), name="status"),
        CheckConstraint("tutor_turns >= 0", name="tutor_turns"),
        Index("ix_escalations_course_status_created", "course_id", "status", "created_at"),
        Index("ix_escalations_user_created", "user_id", "created_at"),
    )


class EscalationReply(Base):
    """A staff member's reply to an escalation (Markdown, rendered sanitised)."""

    __tablename__ = "escalation_replies"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    escalation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Assignment(Base):
    """An exercise of a course: its notebook, the instructor's reference solution and
    hidden tests (never shown to students nor put into a prompt) and notes for the tutor."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    notebook_path: Mapped[str] = mapped_column(String(500))
    cell_ids: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), server_default=text("'{}'::varchar[]")
    )
    reference_solution: Mapped[str] = mapped_column(Text)
    hidden_tests: Mapped[str | None] = mapped_column(Text)
    tutor_notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("course_id", "notebook_path", name="uq_assignments_course_notebook"),
    )


class AiWindow(Base):
    """When the tutor is normal, hints-only or off: for one assignment, or for the whole
    course when `assignment_id` is null; open-ended on a side whose time is null."""

    __tablename__ = "ai_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE")
    )
    mode: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("mode", AI_WINDOW_MODES), name="mode"),
        CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at", name="period"
        ),
        Index("ix_ai_windows_course", "course_id"),
    )
