"""experiments with arms and stable assignments; versioned course policies

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:40:00

Every interaction records the experiment and arm it ran under and the version of its
course's policy. Existing courses get version 1 = their current policy.
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column[datetime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.add_column(
        "courses",
        sa.Column("policy_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.create_table(
        "course_policy_versions",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("policy", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_policy_versions_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"],
            ["users.id"],
            name=op.f("fk_course_policy_versions_changed_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("course_id", "version", name=op.f("pk_course_policy_versions")),
    )
    op.execute(
        "INSERT INTO course_policy_versions (course_id, version, policy, created_at) "
        "SELECT id, 1, tutor_policy, created_at FROM courses"
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _created_at(),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_experiments_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_experiments_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("course_id", "name", name="uq_experiments_course_name"),
    )
    op.create_index(
        "uq_experiments_one_running",
        "experiments",
        ["course_id"],
        unique=True,
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "experiment_arms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "policy",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_arms_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_arms")),
        sa.UniqueConstraint("experiment_id", "name", name="uq_experiment_arms_name"),
    )
    op.create_table(
        "experiment_assignments",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("arm_id", sa.Integer(), nullable=False),
        sa.Column(
            "assigned_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_assignments_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_experiment_assignments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["arm_id"],
            ["experiment_arms.id"],
            name=op.f("fk_experiment_assignments_arm_id_experiment_arms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_id", "user_id", name=op.f("pk_experiment_assignments")),
    )
    op.add_column("interactions", sa.Column("experiment_id", sa.Integer(), nullable=True))
    op.add_column("interactions", sa.Column("arm_id", sa.Integer(), nullable=True))
    op.add_column("interactions", sa.Column("policy_version", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_interactions_experiment_id_experiments"),
        "interactions",
        "experiments",
        ["experiment_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_foreign_key(
        op.f("fk_interactions_arm_id_experiment_arms"),
        "interactions",
        "experiment_arms",
        ["arm_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_interactions_arm_id_experiment_arms"), "interactions", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("fk_interactions_experiment_id_experiments"), "interactions", type_="foreignkey"
    )
    for column in ("policy_version", "arm_id", "experiment_id"):
        op.drop_column("interactions", column)
    op.drop_table("experiment_assignments")
    op.drop_table("experiment_arms")
    op.drop_index("uq_experiments_one_running", table_name="experiments")
    op.drop_table("experiments")
    op.drop_table("course_policy_versions")
    op.drop_column("courses", "policy_version")
