"""Alembic environment: the URL comes from the caller's config or from Settings."""

from alembic import context
from sqlalchemy import create_engine, pool

from ainative.config import get_settings
from ainative.db.engine import normalise_url
from ainative.db.models import Base

config = context.config
url = normalise_url(config.get_main_option("sqlalchemy.url") or get_settings().database_url)

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
