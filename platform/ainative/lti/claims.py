"""The LTI 1.3 claim names, the LIS role vocabulary mapped to course roles, and a launch.

Roles (LIS v2): Instructor -> instructor, TeachingAssistant (a sub-role of Instructor) ->
assistant, Learner -> student. A TA also marked Instructor is an assistant: the least
power that does the job. The institution role Administrator gives nothing here (no hub
admin from an LMS).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
RESOURCE_LINK = LTI + "resource_link"
TARGET_LINK_URI = LTI + "target_link_uri"
CUSTOM = LTI + "custom"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
LTI_VERSION = "1.3.0"

_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"


def _role_names(roles: Iterable[str]) -> set[str]:
    """Context roles as short names: 'Instructor', 'Learner', 'TeachingAssistant'.

    Full URIs (membership#Instructor, membership/Instructor#TeachingAssistant) and the
    short forms the spec tolerates map alike; institution and system roles are dropped.
    """
    names = set()
    for role in roles:
        role = str(role)
        if role.startswith(_MEMBERSHIP):
            names.add(role.rsplit("#", 1)[-1])
        elif "/" not in role and "#" not in role:
            names.add(role)
    return names


def course_role(roles: Iterable[str]) -> str | None:
    """The course role a launch (or NRPS member) gets, None when it has none we know."""
    names = _role_names(roles)
    if "TeachingAssistant" in names:
        return "assistant"
    if "Instructor" in names:
        return "instructor"
    if "Learner" in names:
        return "student"
    return None


@dataclass(frozen=True)
class Launch:
    """A validated launch, reduced to what the records need (kept in a signed cookie)."""

    platform_id: int
    issuer: str
    client_id: str
    deployment_id: str
    subject: str
    role: str | None
    context_id: str
    context_title: str = ""
    context_label: str = ""
    name: str = ""
    email: str = ""
    memberships_url: str = ""
    notebook: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Launch:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
