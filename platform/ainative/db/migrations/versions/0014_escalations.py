"""Escalations: a student hands the conversation to a person (issue 23)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:00:00

`escalations` holds each hand-off: the student's line, the snapshot staff read (the
conversation, the notebook's cells, the failing cell and its traceback), the tutor's
classification and turn count before it, a nullable assignment hook, its status
(waiting, claimed, answered, resolved, withdrawn) and who claimed and resolved it, when.
`escalation_replies` holds the staff's replies.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=True),
        sa.Column("interaction_id", sa.UUID(), nullable=True),
        sa.Column("tutor_turns", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("classification", sa.String(length=24), nullable=True),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "snapshot",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=10), server_default="waiting", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_reply_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'claimed', 'answered', 'resolved', 'withdrawn')",
            name=op.f("ck_escalations_status"),
        ),
        sa.CheckConstraint("tutor_turns >= 0", name=op.f("ck_escalations_tutor_turns")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_escalations_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_escalations_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["tutor_sessions.id"],
            name=op.f("fk_escalations_session_id_tutor_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_escalations_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by"],
            ["users.id"],
            name=op.f("fk_escalations_claimed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["users.id"],
            name=op.f("fk_escalations_resolved_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    op.create_index(
        "ix_escalations_course_status_created", "escalations", ["course_id", "status", "created_at"]
    )
    op.create_index("ix_escalations_user_created", "escalations", ["user_id", "created_at"])
    op.create_table(
        "escalation_replies",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("escalation_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_replies_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_escalation_replies_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_replies")),
    )
    op.create_index(
        op.f("ix_escalation_replies_escalation_id"), "escalation_replies", ["escalation_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_escalation_replies_escalation_id"), table_name="escalation_replies")
    op.drop_table("escalation_replies")
    op.drop_index("ix_escalations_user_created", table_name="escalations")
    op.drop_index("ix_escalations_course_status_created", table_name="escalations")
    op.drop_table("escalations")
