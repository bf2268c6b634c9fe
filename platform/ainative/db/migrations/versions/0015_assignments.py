"""Assignments, AI windows, and the leak score on interactions (issue 22)

Revision ID: 0015
Revises: 0013 (the integrator re-chains it after 0014)
Create Date: 2026-12-07 16:30:00

`assignments` holds a course's exercises: the notebook they live in, the instructor's
reference solution, optional hidden tests and tutor notes. `ai_windows` says when the
tutor is normal, hints-only or off, for one assignment or (assignment_id null) the whole
course. `interactions` gains the assignment a question was asked from, the window it was
asked in, and the answer's leak score with its parts and decision.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("notebook_path", sa.String(length=500), nullable=False),
        sa.Column(
            "cell_ids",
            postgresql.ARRAY(sa.String(length=64)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
        sa.Column("reference_solution", sa.Text(), nullable=False),
        sa.Column("hidden_tests", sa.Text(), nullable=True),
        sa.Column("tutor_notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_assignments_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_assignments_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint("course_id", "notebook_path", name="uq_assignments_course_notebook"),
    )
    op.create_table(
        "ai_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "mode IN ('normal', 'hints-only', 'off')", name=op.f("ck_ai_windows_mode")
        ),
        sa.CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at",
            name=op.f("ck_ai_windows_period"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_ai_windows_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_ai_windows_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_windows")),
    )
    op.create_index("ix_ai_windows_course", "ai_windows", ["course_id"])
    op.add_column("interactions", sa.Column("assignment_id", sa.Integer(), nullable=True))
    op.add_column("interactions", sa.Column("ai_window", sa.String(length=16), nullable=True))
    op.add_column("interactions", sa.Column("leak_score", sa.Float(), nullable=True))
    op.add_column(
        "interactions",
        sa.Column("leak", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.create_foreign_key(
        op.f("fk_interactions_assignment_id_assignments"),
        "interactions",
        "assignments",
        ["assignment_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_interactions_assignment_id_assignments"), "interactions", type_="foreignkey"
    )
    for column in ("leak", "leak_score", "ai_window", "assignment_id"):
        op.drop_column("interactions", column)
    op.drop_index("ix_ai_windows_course", table_name="ai_windows")
    op.drop_table("ai_windows")
    op.drop_table("assignments")
