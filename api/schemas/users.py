"""Schemas of user accounts: Create (admin), Update (admin), SelfUpdate, Public, ListPublic."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictBool

from ainative.course.consent import CONSENT_TEXT_VERSIONS
from api.schemas.auth import NewPassword, Strict, Username

Role = Literal["student", "instructor", "admin"]


def _student_only() -> list[Role]:
    return ["student"]


class UserCreate(Strict):
    email: EmailStr
    username: Username
    password: NewPassword
    roles: list[Role] = Field(default_factory=_student_only, min_length=1)
    is_verified: StrictBool = False  # strict: 0 or "no" is not a boolean (found by fuzzing)
    research_consent: StrictBool = False


ConsentTextVersion = Literal[CONSENT_TEXT_VERSIONS]  # type: ignore[valid-type]
SHOWN = "the version of the consent text the student was shown; unset, the current one"


class UserUpdate(Strict):
    roles: list[Role] | None = Field(None, min_length=1)
    is_active: StrictBool | None = None
    is_verified: StrictBool | None = None
    research_consent: StrictBool | None = None
    consent_text_version: ConsentTextVersion | None = Field(None, description=SHOWN)


class UserSelfUpdate(Strict):
    research_consent: StrictBool
    consent_text_version: ConsentTextVersion | None = Field(None, description=SHOWN)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    username: str
    roles: list[str]
    is_active: bool
    is_verified: bool
    research_consent: bool
    last_login: datetime | None = None
    created_at: datetime


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int
    offset: int
    limit: int
