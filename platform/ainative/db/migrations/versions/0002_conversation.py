"""conversation turns, time to first token, and the notebook a question came from

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 17:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "interactions",
        sa.Column("turn", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
    )
    op.add_column("interactions", sa.Column("ttft_ms", sa.Integer(), nullable=True))
    op.add_column("interactions", sa.Column("notebook_path", sa.String(length=500), nullable=True))
    op.add_column("interactions", sa.Column("cell_id", sa.String(length=64), nullable=True))
    op.create_check_constraint("turn", "interactions", "turn >= 1")
    op.create_index(
        "ix_interactions_session_turn", "interactions", ["session_id", "turn"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_interactions_session_turn", table_name="interactions")
    op.drop_constraint(op.f("ck_interactions_turn"), "interactions", type_="check")
    for column in ("cell_id", "notebook_path", "ttft_ms", "turn"):
        op.drop_column("interactions", column)
