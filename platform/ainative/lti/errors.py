"""The LTI package's refusals: each names the rule it enforces, so the page can say why."""

from __future__ import annotations


class LtiError(Exception):
    """Base of the LTI package's errors."""


class LaunchRefused(LtiError):
    """A launch that breaks a rule of LTI 1.3 / the Security Framework (`rule` names it)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class PlatformError(LtiError):
    """A platform registration that cannot be added or found (the CLI prints it)."""


class RosterError(LtiError):
    """A roster sync that could not run (no NRPS URL, the LMS refused or answered badly)."""
