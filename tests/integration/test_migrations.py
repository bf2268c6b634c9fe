"""The migrations and the models describe one schema, and the newest migration runs back down."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from ainative.db import migrate
from ainative.db.models import Base


def _differences(database_url: str) -> list[object]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))
    finally:
        engine.dispose()


def test_migrated_database_matches_the_models(fresh_database_url: str) -> None:
    migrate.upgrade(fresh_database_url)
    assert _differences(fresh_database_url) == []


def test_newest_migration_downgrades_and_upgrades_again(fresh_database_url: str) -> None:
    from alembic import command

    cfg = migrate.alembic_config(fresh_database_url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "-1")
    command.upgrade(cfg, "head")
    assert _differences(fresh_database_url) == []
