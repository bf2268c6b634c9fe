"""The mode registry as the migrated database sees it."""

from __future__ import annotations

import re

from sqlalchemy import create_engine, text

from ainative.tutor.modes import MODE_NAMES


def test_the_migrated_database_allows_exactly_the_registered_modes(
    fresh_database_url: str,
) -> None:
    engine = create_engine(fresh_database_url)
    try:
        with engine.connect() as conn:
            definition = conn.execute(
                text(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE conname = 'ck_interactions_mode'"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    allowed = re.findall(r"'([^']+)'::character varying", definition)
    assert tuple(allowed) == MODE_NAMES, definition
