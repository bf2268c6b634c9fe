"""Schemas of assignments and AI windows (issue 22).

The reference solution and hidden tests are text, bounded; `AssignmentPublic` carries
them only for instructors and admins (null otherwise), never for students.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from api.schemas.auth import Strict
from api.schemas.bounds import CellIdField, IdField, NotebookPathField
from api.schemas.text import Text

MAX_SOURCE = 50_000  # characters of a reference solution or hidden tests
WindowMode = Literal["normal", "hints-only", "off"]

FILLED = r"^[^\u0000]*\S[^\u0000]*$"  # not blank, no NUL
Title = Annotated[Text, Field(min_length=1, max_length=200, pattern=FILLED)]
Source = Annotated[Text, Field(min_length=1, max_length=MAX_SOURCE, pattern=FILLED)]
Notes = Annotated[Text, Field(max_length=4000)]


def _not_blank(value: str | None, name: str) -> None:
    if value is not None and not value.strip():
        raise ValueError(f"{name} must not be blank")


class AssignmentCreate(Strict):
    title: Title
    notebook_path: NotebookPathField
    reference_solution: Source = Field(description="Python; never shown to students")
    hidden_tests: Source | None = Field(None, description="asserts or test_* functions")
    tutor_notes: Notes | None = None
    cell_ids: list[CellIdField] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _filled(self) -> AssignmentCreate:
        _not_blank(self.title, "title")
        _not_blank(self.reference_solution, "reference_solution")
        return self


class AssignmentUpdate(Strict):
    """Fields left out (or null) stay; hidden_tests and tutor_notes set to null are cleared."""

    title: Title | None = None
    notebook_path: NotebookPathField | None = None
    reference_solution: Source | None = None
    hidden_tests: Source | None = None
    tutor_notes: Notes | None = None
    cell_ids: list[CellIdField] | None = Field(None, max_length=200)

    def changes(self) -> dict[str, Any]:
        """The fields sent; null means no change except for the two that may be cleared."""
        sent = self.model_dump(exclude_unset=True)
        clearable = ("hidden_tests", "tutor_notes")
        return {k: v for k, v in sent.items() if v is not None or k in clearable}


class AssignmentPublic(BaseModel):
    id: int
    course_id: int
    title: str
    notebook_path: str
    cell_ids: list[str]
    tutor_notes: str | None
    has_hidden_tests: bool
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    answers_scored: int = Field(description="answers leak-scored against the reference")
    leaked: int = Field(description="of those, scored above the leak threshold")
    reference_solution: str | None = Field(None, description="instructors and admins only")
    hidden_tests: str | None = Field(None, description="instructors and admins only")


class AssignmentsPublic(BaseModel):
    data: list[AssignmentPublic]


class AiWindowCreate(Strict):
    mode: WindowMode
    starts_at: datetime | None = Field(None, description="null: from now on (open start)")
    ends_at: datetime | None = Field(None, description="null: until deleted")
    assignment_id: IdField | None = Field(None, description="null: the whole course")

    @model_validator(mode="after")
    def _period(self) -> AiWindowCreate:
        for name in ("starts_at", "ends_at"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} needs a time zone (e.g. 2026-12-07T09:00:00Z)")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class AiWindowPublic(BaseModel):
    id: int
    course_id: int
    assignment_id: int | None
    mode: WindowMode
    starts_at: datetime | None
    ends_at: datetime | None


class AiWindowsPublic(BaseModel):
    data: list[AiWindowPublic]


class LeakCounts(BaseModel):
    """One group's numbers (ainative.course.assignment_stats)."""

    answers_scored: int = Field(description="answers leak-scored against the reference")
    leaked: int = Field(description="of those, scored at or above the leak threshold")
    passed_tests: int = Field(description="answers whose code passed the hidden tests")
    refused_by_window: int = Field(description="questions refused by an AI window `off`")
    leak_rate: float | None = Field(description="leaked / answers_scored; null: none scored")


class ArmLeakCounts(LeakCounts):
    experiment_id: int | None = Field(description="null: asked outside any experiment")
    arm_id: int | None
    arm: str | None


class WeekLeakCounts(LeakCounts):
    week: str = Field(description="ISO week in UTC, e.g. 2026-W50")


class UpcomingWindow(BaseModel):
    window_id: int
    mode: WindowMode
    starts_at: datetime


class WindowNow(BaseModel):
    """The AI window a question from this notebook is under now (the rule submit applies)."""

    mode: WindowMode = Field(description="normal when no window is in force")
    window_id: int | None
    course_wide: bool | None = Field(description="the window is the whole course's")
    until: datetime | None = Field(description="when it ends; null: open-ended or none")
    next: UpcomingWindow | None = Field(description="the next window to begin, if any")


class LeakGroups(BaseModel):
    window: WindowNow
    totals: LeakCounts
    by_arm: list[ArmLeakCounts]
    by_week: list[WeekLeakCounts]


class AssignmentStats(LeakGroups):
    assignment_id: int
    title: str
    notebook_path: str


class AssignmentStatsPublic(BaseModel):
    course_id: int
    data: list[AssignmentStats]
    other_notebooks: LeakGroups | None = Field(
        description="notebooks that are no assignment's (null when one assignment was asked)"
    )
