"""Reading what the platform stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text


def row_of(db: Engine, interaction_id: str) -> dict[str, Any]:
    """The interaction's row, every column."""
    with db.connect() as conn:
        return dict(
            conn.execute(
                text("SELECT * FROM interactions WHERE id = CAST(:id AS uuid)"),
                {"id": interaction_id},
            )
            .mappings()
            .one()
        )
