"""the notebook and cell an activity event came from

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 17:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("notebook_path", sa.String(length=500), nullable=True))
    op.add_column("events", sa.Column("cell_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("events", "cell_id")
    op.drop_column("events", "notebook_path")
