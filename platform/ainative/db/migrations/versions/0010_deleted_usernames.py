"""deleted usernames (never registered again) and the hub part of deletions still to do

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:50:00

`deleted_usernames` holds an HMAC (the pseudonym key) of each deleted account's
lower-cased username, so registration and user creation refuse the name without the
table naming anyone. `hub_deletions` queues the hub user, servers and storage of a
deleted account until the hub confirmed their removal (ainative.auth.deletion).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "deleted_usernames",
        sa.Column("name_hash", sa.String(length=64), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("name_hash", name=op.f("pk_deleted_usernames")),
    )
    op.create_table(
        "hub_deletions",
        sa.Column("hub_name", sa.String(length=64), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("hub_name", name=op.f("pk_hub_deletions")),
    )


def downgrade() -> None:
    op.drop_table("hub_deletions")
    op.drop_table("deleted_usernames")
