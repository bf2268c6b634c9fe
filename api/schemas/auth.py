"""Schemas of the auth routes: registration, login, token pairs, password change."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from ainative.auth.passwords import PASSWORD_RULE, USERNAME_RE, password_problem
from api.schemas.text import NO_NUL_PATTERN, Text, text_problem

USERNAME_HELP = "3-32 letters, digits, '-' or '_'"
# The rules the validators below enforce, stated in the OpenAPI schema for clients and fuzzers.
USERNAME_SCHEMA = {"pattern": r"^[A-Za-z0-9_-]+$", "minLength": 3}
PASSWORD_SCHEMA = {
    # no NUL (see api.schemas.text), and each of the three kinds of character somewhere
    "pattern": NO_NUL_PATTERN,
    "allOf": [{"pattern": "[A-Z]"}, {"pattern": "[a-z]"}, {"pattern": "[0-9]"}],
    "minLength": 8,
}
PASSWORD_HELP = f"{PASSWORD_RULE}; at most 72 bytes in UTF-8"


def check_username(value: str) -> str:
    if not USERNAME_RE.match(value):
        raise ValueError(f"username must be {USERNAME_HELP}")
    return value


def check_password(value: str) -> str:
    problem = text_problem(value) or password_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Username = Annotated[
    str,
    Field(description=USERNAME_HELP, max_length=32, json_schema_extra=USERNAME_SCHEMA),
    AfterValidator(check_username),
]
NewPassword = Annotated[
    str,
    Field(description=PASSWORD_HELP, max_length=72, json_schema_extra=PASSWORD_SCHEMA),
    AfterValidator(check_password),
]


class Strict(BaseModel):
    """Unknown fields are refused, so a body cannot smuggle in e.g. roles."""

    model_config = ConfigDict(extra="forbid")


class RegisterCreate(Strict):
    email: EmailStr
    username: Username
    password: NewPassword
    join_code: str | None = Field(
        None,
        max_length=32,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]*$",
        description="Your course's join code (XXXXX-XXXXX), from your instructor; required "
        "when the platform's REGISTRATION is course-code.",
    )


class LoginRequest(Strict):
    """Log in with `username` (which may also be an email address) or `email`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={  # at least one of the two, as _one_login checks
            "anyOf": [
                {"required": ["username"], "properties": {"username": {"type": "string"}}},
                {"required": ["email"], "properties": {"email": {"type": "string"}}},
            ]
        },
    )

    username: Text | None = Field(None, min_length=1, max_length=320)
    email: Text | None = Field(None, min_length=1, max_length=320)
    password: Text = Field(min_length=1, max_length=128)

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
    refresh_token: Text = Field(min_length=1, max_length=4096)


class ServerTokenRequest(Strict):
    server_key: Text = Field(min_length=1, max_length=4096)


class ServerTokenPublic(BaseModel):
    """A fresh access token with scope "tutor" (the widget's endpoints only)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="access token lifetime in seconds")


class LogoutRequest(Strict):
    refresh_token: Text | None = Field(None, max_length=4096)


class PasswordChange(Strict):
    current_password: Text = Field(min_length=1, max_length=128)
    new_password: NewPassword
