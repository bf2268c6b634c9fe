"""Schemas of the auth routes: registration, login, token pairs, password change."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from ainative.auth.passwords import USERNAME_RE, password_problem

USERNAME_HELP = "3-32 letters, digits, '-' or '_'"


def check_username(value: str) -> str:
    if not USERNAME_RE.match(value):
        raise ValueError(f"username must be {USERNAME_HELP}")
    return value


def check_password(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class Strict(BaseModel):
    """Unknown fields are refused, so a body cannot smuggle in e.g. roles."""

    model_config = ConfigDict(extra="forbid")


class RegisterCreate(Strict):
    email: EmailStr
    username: str = Field(description=USERNAME_HELP, max_length=32)
    password: str = Field(max_length=128)
    join_code: str | None = Field(
        None,
        max_length=32,
        description="Your course's join code (XXXXX-XXXXX), from your instructor; required "
        "when the platform's REGISTRATION is course-code.",
    )

    _username = field_validator("username")(check_username)
    _password = field_validator("password")(check_password)


class LoginRequest(Strict):
    """Log in with `username` (which may also be an email address) or `email`."""

    username: str | None = Field(None, min_length=1, max_length=320)
    email: str | None = Field(None, min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one_login(self) -> LoginRequest:
        if not (self.username or self.email):
            raise ValueError("send username or email")
        return self

    @property
    def login(self) -> str:
        return (self.username or self.email or "").strip()


class TokenPairPublic(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="access token lifetime in seconds")


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=1, max_length=4096)


class LogoutRequest(Strict):
    refresh_token: str | None = Field(None, max_length=4096)


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(max_length=128)

    _new_password = field_validator("new_password")(check_password)
