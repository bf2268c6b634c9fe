"""dated research consent: every change of a student's consent, with the text's version

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:30:00

`consent_periods` is the rule in one place: consent is in force from a `given` record
until the next record. A user without any record (accounts from before consent was
dated, or bulk imports) has one open period with their current flag.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CONSENT_PERIODS = """
CREATE VIEW consent_periods AS
SELECT c.user_id, c.given, c.text_version, c.recorded_at AS since,
       COALESCE(lead(c.recorded_at) OVER (PARTITION BY c.user_id ORDER BY c.recorded_at, c.id),
                'infinity'::timestamptz) AS until
FROM consent_records c
UNION ALL
SELECT u.id, u.research_consent, NULL, '-infinity'::timestamptz, 'infinity'::timestamptz
FROM users u
WHERE NOT EXISTS (SELECT 1 FROM consent_records c WHERE c.user_id = u.id)
"""


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("text_version", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), server_default="api", nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_consent_records_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    op.create_index(
        "ix_consent_records_user_recorded", "consent_records", ["user_id", "recorded_at"]
    )
    op.execute(CONSENT_PERIODS)


def downgrade() -> None:
    op.execute("DROP VIEW consent_periods")
    op.drop_index("ix_consent_records_user_recorded", table_name="consent_records")
    op.drop_table("consent_records")
