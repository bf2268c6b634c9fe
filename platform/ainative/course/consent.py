"""Research consent with dates: each change is a record, and research sees only data
recorded while consent was in force.

The rule, in one sentence: an interaction, event or session is research data only if,
at the moment the server recorded it, the student's latest consent record said yes (students
with no record at all, from before consent was dated, count with their current flag).
The view `consent_periods` (migration 0006) holds the rule; `in_force_clause` is how
every loader and export applies it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ainative.db.models import ConsentRecord

# The consent text students answer; change the version whenever the wording changes, so
# every record says which text the student agreed to.
CONSENT_TEXT_VERSION = "2026-12-01"
# Every version a student may have been shown; a record names one of them.
CONSENT_TEXT_VERSIONS = (CONSENT_TEXT_VERSION,)
# How a record came about: the student at sign-up or later, an admin on their behalf, an
# operator's CLI, migration 0012's one record per account that had none, or the "not
# given" an account starts with when an LMS launch (lti) or campus sign-in (oidc) creates it.
CONSENT_SOURCES = ("registration", "student", "admin", "operator", "migration", "lti", "oidc")
# Sources where no person chose: the record has no actor unless one is named.
UNATTENDED_SOURCES = frozenset({"operator", "lti", "oidc"})
CONSENT_TEXT = (
    "Your questions to the tutor, its answers and your notebook activity may be used, "
    "under a pseudonym, in research on how students learn to program. Taking part is "
    "voluntary and does not affect your grade. You can change your mind at any time; "
    "research uses only what was recorded while you took part."
)


def record_consent(
    session: Session,
    *,
    user_id: int,
    given: bool,
    text_version: str = CONSENT_TEXT_VERSION,
    source: str = "student",
    actor_id: int | None = None,
) -> None:
    """Add a dated record of the user's choice (the caller commits).

    `actor_id` is who recorded it: the student themself (the default), or the admin
    acting on their behalf (`source` "admin"); `text_version` the consent text the
    student was shown.
    """
    if source not in CONSENT_SOURCES:
        raise ValueError(f"consent source must be one of {', '.join(CONSENT_SOURCES)}")
    if text_version not in CONSENT_TEXT_VERSIONS:
        raise ValueError(f"unknown consent text version {text_version!r}")
    session.add(
        ConsentRecord(
            user_id=user_id,
            given=given,
            text_version=text_version,
            source=source,
            actor_id=user_id if actor_id is None and source not in UNATTENDED_SOURCES else actor_id,
        )
    )


def consent_history(session: Session, *, user_id: int) -> list[ConsentRecord]:
    """The user's consent records, oldest first."""
    query = (
        select(ConsentRecord)
        .where(ConsentRecord.user_id == user_id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    )
    return list(session.scalars(query))


def in_force_clause(alias: str, time_column: str) -> str:
    """SQL that is true when consent was in force for row `alias` at its `time_column`."""
    at = f"{alias}.{time_column}"
    return (
        "EXISTS (SELECT 1 FROM consent_periods p WHERE p.user_id = "
        f"{alias}.user_id AND p.given AND {at} >= p.since AND {at} < p.until)"
    )
