"""per-user token generation; course join codes; course codes unique as hub groups

token_generation: a password, role or activation change ends older access tokens.
join_code: students register into a course with it (REGISTRATION=course-code).
ix_courses_code_slug: "CS.101", "cs_101" and "CS-101" are one hub group
(course-cs-101), so they cannot be three courses.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


SLUG = "btrim(regexp_replace(lower(code), '[^a-z0-9]+', '-', 'g'), '-')"


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("token_generation", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("courses", sa.Column("join_code", sa.String(length=16), nullable=True))
    op.create_unique_constraint(op.f("uq_courses_join_code"), "courses", ["join_code"])
    op.create_index("ix_courses_code_slug", "courses", [sa.text(SLUG)], unique=True)


def downgrade() -> None:
    op.drop_index("ix_courses_code_slug", table_name="courses")
    op.drop_constraint(op.f("uq_courses_join_code"), "courses", type_="unique")
    op.drop_column("courses", "join_code")
    op.drop_column("users", "token_generation")
