"""The auth package's refusals: each message is safe to show to the caller.

api/errors.py gives each class its HTTP status; the CLI and the hub print the message.
"""

from __future__ import annotations


class UserError(Exception):
    """A refusal whose message is safe to show to the caller."""


class InvalidUserInput(UserError):
    """Username, email, password or roles break the rules."""


class DuplicateUserError(UserError):
    """The username or email is already taken."""


class DeletedUsernameError(DuplicateUserError):
    """The username belonged to a deleted account; it is never given out again."""


class InvalidCredentialsError(UserError):
    """Unknown account or wrong password: deliberately the same error."""


class InactiveUserError(UserError):
    """The account exists but has been deactivated."""


class IncorrectPasswordError(UserError):
    """The current password given to confirm a change is wrong."""


class InvalidRefreshTokenError(UserError):
    """The refresh token is malformed, expired, unknown, used, revoked, or its account inactive."""


class InvalidServerKeyError(UserError):
    """The server key is malformed, expired, unknown, revoked, of an older generation, or its
    account inactive: the server must be restarted from the hub."""


class UserNotFoundError(UserError):
    """No account with that id."""


class SelfLockoutError(UserError):
    """An admin tried to deactivate or demote their own account."""


class AccessNotUpdatedError(UserError):
    """The account was saved, but Redis could not take the live access tokens' flag."""


class RegistrationClosedError(UserError):
    """Self-registration is switched off."""


class InvalidJoinCodeError(UserError):
    """The join code is missing, wrong or expired."""


class ResetLinkError(UserError):
    """The link is unknown, used or expired; the message says which."""


class InvalidHubTokenError(UserError):
    """The hub does not know the token, or the hub did not issue it to the staff console."""


class HubUnavailableError(UserError):
    """The hub could not be asked who a token belongs to; retry shortly."""

    retry_after = 5
