"""Bodies of the experiment endpoints: arms are tutor policies laid over the course's."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ainative.tutor.modes import MODE_NAMES, ModeName
from ainative.tutor.prompts import PROMPT_VARIANTS
from api.schemas.auth import Strict

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$"


class ArmPolicy(Strict):
    """What an arm changes; anything left out is the course's own policy."""

    allowed_modes: list[ModeName] | None = Field(None, min_length=1)
    guardrail: Literal["standard", "strict"] | None = None
    provider: Literal["offline", "openai"] | None = None
    model: str | None = Field(None, min_length=1, max_length=100)
    prompt_variant: str | None = Field(
        None, description=f"one of: {', '.join(PROMPT_VARIANTS)}", max_length=32
    )
    extra_context: str | None = Field(None, max_length=4000)

    @field_validator("prompt_variant")
    @classmethod
    def _known_variant(cls, value: str | None) -> str | None:
        if value is not None and value not in PROMPT_VARIANTS:
            raise ValueError(f"unknown prompt variant; use one of: {', '.join(PROMPT_VARIANTS)}")
        return value

    @model_validator(mode="after")
    def _dedupe_modes(self) -> ArmPolicy:
        if self.allowed_modes is not None:
            self.allowed_modes = [m for m in MODE_NAMES if m in self.allowed_modes]
        return self


class ArmCreate(Strict):
    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN)
    policy: ArmPolicy = Field(default_factory=ArmPolicy)


class ExperimentCreate(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    description: str = Field("", max_length=4000)
    arms: list[ArmCreate] = Field(min_length=2, max_length=10)


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
    arms: list[ArmPublic]


class ExperimentsPublic(BaseModel):
    data: list[ExperimentPublic]
