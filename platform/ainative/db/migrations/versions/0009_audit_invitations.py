"""the audit log, course invitations, and reset links tied to the account's generation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 10:40:00

`audit_log` records who enrolled, invited, removed or reset whom (issue 20, finding 1).
`course_invitations` holds an instructor's invitation until the invited account accepts
or declines it: instructors no longer attach existing accounts to their courses.
`password_resets` gains the account's token generation at the link's creation (a
password, role or activation change since voids the link) and `revoked_at` (a newer link
replaced it); a partial unique index keeps one live link per account (finding 3). Links
made before this revision take the account's current generation.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_log_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_audit_log_course_id_courses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"],
            ["users.id"],
            name=op.f("fk_audit_log_target_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_target_at", "audit_log", ["target_user_id", "at"])
    op.create_index("ix_audit_log_course_at", "audit_log", ["course_id", "at"])
    op.create_table(
        "course_invitations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_invitations_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_course_invitations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_course_invitations_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_invitations")),
        sa.UniqueConstraint("course_id", "user_id", name="uq_course_invitations_course_user"),
    )
    op.create_index(op.f("ix_course_invitations_user_id"), "course_invitations", ["user_id"])
    op.add_column("password_resets", sa.Column("target_generation", sa.Integer(), nullable=True))
    op.add_column(
        "password_resets", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE password_resets SET target_generation = users.token_generation"
        " FROM users WHERE users.id = password_resets.user_id"
    )
    # Of several live links per account, only the newest stays live.
    op.execute(
        "UPDATE password_resets SET revoked_at = now() WHERE used_at IS NULL AND id NOT IN"
        " (SELECT max(id) FROM password_resets WHERE used_at IS NULL GROUP BY user_id)"
    )
    op.alter_column("password_resets", "target_generation", nullable=False)
    op.create_index(
        "uq_password_resets_one_live",
        "password_resets",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("used_at IS NULL AND revoked_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_password_resets_one_live", table_name="password_resets")
    op.drop_column("password_resets", "revoked_at")
    op.drop_column("password_resets", "target_generation")
    op.drop_index(op.f("ix_course_invitations_user_id"), table_name="course_invitations")
    op.drop_table("course_invitations")
    op.drop_index("ix_audit_log_course_at", table_name="audit_log")
    op.drop_index("ix_audit_log_target_at", table_name="audit_log")
    op.drop_table("audit_log")
