"""Bodies of the experiment endpoints: arms are tutor policies laid over the course's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from ainative.tutor.modes import MODE_NAMES, ModeName
from ainative.tutor.prompts import PromptVariant
from api.schemas.auth import Strict
from api.schemas.text import Text

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$"


class ArmPolicy(Strict):
    """What an arm changes; anything left out is the course's own policy."""

    allowed_modes: list[ModeName] | None = Field(None, min_length=1)
    guardrail: Literal["standard", "strict"] | None = None
    provider: Literal["offline", "openai", "explanation"] | None = None
    model: Text | None = Field(
        None, min_length=1, max_length=100, description="one of GET /api/v1/tutor/models"
    )
    prompt_variant: PromptVariant | None = None
    extra_context: Text | None = Field(None, max_length=4000)

    @model_validator(mode="after")
    def _dedupe_modes(self) -> ArmPolicy:
        if self.allowed_modes is not None:
            self.allowed_modes = [m for m in MODE_NAMES if m in self.allowed_modes]
        return self


class ArmCreate(Strict):
    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN)
    policy: ArmPolicy = Field(default_factory=ArmPolicy)


class Preregistration(Strict):
    """The plan, frozen when the experiment starts; the report compares what was done."""

    hypothesis: Text = Field(min_length=1, max_length=4000)
    primary_outcome: Text = Field(min_length=1, max_length=200)
    planned_n: int = Field(ge=2, le=1_000_000, description="students to be assigned")
    planned_end: date
    analysis_commit: str = Field(
        pattern=r"^[0-9a-fA-F]{7,40}$", description="git commit of the analysis code"
    )
    secondary_outcomes: list[Text] = Field(default_factory=list, max_length=20)


class ExperimentCreate(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    description: Text = Field("", max_length=4000)
    arms: list[ArmCreate] = Field(min_length=2, max_length=10)
    preregistration: Preregistration | None = None


class ArmPublic(BaseModel):
    id: int
    name: str
    policy: dict[str, Any]
    students: int


class ExperimentPublic(BaseModel):
    id: int
    name: str
    description: str
    created_at: datetime
    ended_at: datetime | None
    preregistration: dict[str, Any] | None = None
    registered_at: datetime | None = None
    arms: list[ArmPublic]


class ExperimentsPublic(BaseModel):
    data: list[ExperimentPublic]
