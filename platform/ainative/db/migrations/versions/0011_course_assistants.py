"""course role `assistant`, invitations that carry a role, the live view's events index

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:40:00

Teaching assistants (issue 21) are a course role: `memberships.role` may be
'assistant'. An instructor's invitation says what the account joins as (`role`:
student or assistant; earlier invitations are for students). The staff console's live
view reads a course's events of the last minutes: `ix_events_course_occurred`
(interactions already have `ix_interactions_course_created`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_memberships_role"), "memberships", type_="check")
    op.create_check_constraint(
        op.f("ck_memberships_role"), "memberships", "role IN ('student', 'assistant', 'instructor')"
    )
    op.add_column(
        "course_invitations",
        sa.Column("role", sa.String(length=16), server_default="student", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_course_invitations_role"), "course_invitations", "role IN ('student', 'assistant')"
    )
    op.create_index(op.f("ix_events_course_occurred"), "events", ["course_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_events_course_occurred"), table_name="events")
    op.execute("DELETE FROM course_invitations WHERE role = 'assistant'")
    op.drop_constraint(op.f("ck_course_invitations_role"), "course_invitations", type_="check")
    op.drop_column("course_invitations", "role")
    op.execute("DELETE FROM memberships WHERE role = 'assistant'")
    op.drop_constraint(op.f("ck_memberships_role"), "memberships", type_="check")
    op.create_check_constraint(
        op.f("ck_memberships_role"), "memberships", "role IN ('student', 'instructor')"
    )
