"""assignment_outlines: what research may know of an assignment, without its solution

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 21:00:00

The read-only research role (ainative.db.research_role) must not read an assignment's
reference solution or hidden tests, yet an analysis needs to know whether hidden tests
exist (an answer's `passed_hidden_tests` is then False rather than unknown). The view
keeps the fact and leaves the text out; the loaders read it.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE VIEW assignment_outlines AS
        SELECT id, course_id, title, notebook_path, cell_ids,
               hidden_tests IS NOT NULL AS has_hidden_tests,
               created_by, created_at, updated_at
        FROM assignments
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW assignment_outlines")
