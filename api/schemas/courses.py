"""Schemas of courses, memberships and tutor policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ainative.tutor.modes import MODE_NAMES, ModeName
from api.schemas.auth import Strict
from api.schemas.bounds import NOT_BOOL, IdField
from api.schemas.text import Text


class TutorPolicy(Strict):
    """How the tutor behaves in a course; omitted quota means the platform default."""

    allowed_modes: list[ModeName] = Field(default_factory=lambda: list(MODE_NAMES), min_length=1)
    quota_per_hour: Annotated[int, Field(ge=0, le=10_000), NOT_BOOL] | None = None
    extra_context: Text = Field(
        "",
        max_length=4000,
        description="Tutor-only: put in the tutor's instructions, shown to course staff only, "
        "never to students (the guardrail withholds answers that repeat it).",
    )
    student_notes: Text = Field(
        "", max_length=2000, description="Notes about the tutor in this course that students see."
    )
    provider: Literal["offline", "openai", "explanation"] | None = None
    model: Text | None = Field(
        None, min_length=1, max_length=100, description="one of GET /api/v1/tutor/models"
    )
    escalation_alert_minutes: Annotated[int, Field(ge=1, le=240), NOT_BOOL] | None = Field(
        None,
        description="alert when a request to a person waits longer than this (default 10)",
    )
    leak_threshold: Annotated[float, Field(gt=0, le=1), NOT_BOOL] | None = Field(
        None,
        description="an assignment's answer scoring above this against its reference is "
        "rewritten (default 0.5; a hints-only window tightens it to at most 0.3)",
    )
    staff_reading: Literal["full", "aggregates"] = Field(
        "full",
        description="full: course staff read the students' questions and answers; "
        "aggregates: staff see totals only (the widget tells students which).",
    )

    @model_validator(mode="after")
    def _dedupe_modes(self) -> TutorPolicy:
        self.allowed_modes = [m for m in MODE_NAMES if m in self.allowed_modes]
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON kept in courses.tutor_policy (unset optional fields left out)."""
        return self.model_dump(exclude_none=True)


class TutorPolicyPublic(TutorPolicy):
    """A course's policy as the caller may read it: `extra_context` is null for students."""

    extra_context: str | None = Field(  # type: ignore[assignment]
        None, description="Tutor-only: the text for course staff, null for students."
    )


class CourseCreate(Strict):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: Text = Field(min_length=1, max_length=200)
    tutor_policy: TutorPolicy | None = None


class CoursePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    title: str
    tutor_policy: dict[str, Any] = Field(
        description="As stored; without the tutor-only extra_context for students."
    )
    created_at: datetime
    role: str | None = Field(None, description="the caller's role in the course, if a member")


class CoursesPublic(BaseModel):
    data: list[CoursePublic]
    count: int


class MemberCreate(Strict):
    """Enrol (admins: any role) or invite (instructors: student or assistant) by `user_id`
    or `username` (exactly one); `username` may also be an email."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={  # exactly one of the two, as _one_identity checks
            "oneOf": [
                {"required": ["user_id"], "properties": {"user_id": {"type": "integer"}}},
                {"required": ["username"], "properties": {"username": {"type": "string"}}},
            ]
        },
    )

    user_id: IdField | None = None
    username: Text | None = Field(None, min_length=1, max_length=32)
    role: Literal["student", "assistant", "instructor"] = Field(
        "student", description="assistant: a teaching assistant (reads, changes nothing)"
    )

    @model_validator(mode="after")
    def _one_identity(self) -> MemberCreate:
        if (self.user_id is None) == (self.username is None):
            raise ValueError("send exactly one of user_id or username")
        return self


class MemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    username: str
    email: str | None = Field(description="null unless an admin asks, or it is your own student")
    role: str
    research_consent: bool | None = Field(description="null unless an admin asks")
    joined_at: datetime | None = Field(None, description="when the membership began")
    last_active_at: datetime | None = Field(
        None, description="the last question or cell run in this course"
    )
    questions: int | None = Field(None, description="tutor requests in this course")
    last_error: str | None = Field(
        None, description="the error type of the last failing cell run in this course"
    )


class ConsentCounts(BaseModel):
    """How many of the course's students chose each answer; never who chose which."""

    granted: int
    declined: int
    unset: int = Field(description="students who were never asked or never answered")


class InvitationSent(BaseModel):
    """An instructor's invitation: the same answer whether or not the account exists."""

    detail: str


class InvitationPublic(BaseModel):
    """A pending invitation of yours to a course; you join it when you accept."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    course_code: str
    course_title: str
    invited_by: str | None = Field(description="the inviting instructor's username")
    created_at: datetime
    role: str = Field("student", description="what you join as: student or assistant")


class InvitationsPublic(BaseModel):
    data: list[InvitationPublic]
    count: int


class MembersPublic(BaseModel):
    data: list[MemberPublic]
    count: int
    consent_counts: ConsentCounts | None = Field(
        None, description="research consent of the course's students, as counts only"
    )


class StudentSummary(BaseModel):
    user_id: int
    username: str
    interactions: int
    last_interaction_at: datetime | None
    helpful_votes: int  # answers rated with the thumbs
    helpful_share: float | None  # of those, the share rated helpful
    scored: int  # answers given a 1-5 score
    mean_score: float | None


class CourseSummaryPublic(BaseModel):
    course_id: int
    join_code: str | None = Field(
        None, description="The code students register with (XXXXX-XXXXX); None when expired."
    )
    data: list[StudentSummary]


class JoinCodePublic(BaseModel):
    """A course's current join code; give it to students, rotate it when it leaks."""

    course_id: int
    join_code: str
