"""research provenance: the LLM's side of every turn, pre-registered experiments with an
allocation log, consent records with actor and source, and a log of research exports

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 13:00:00

Issue 26.

- `interactions` keep what the model was sent and what it wrote: `messages_sha256` (of
  the rendered messages, canonical JSON), `messages` (unless LLM_STORE_MESSAGES is off),
  `decoding` (temperature, max_tokens, seed as sent), the provider's `response_id` and
  `system_fingerprint`, `model_returned` (the model the server said answered) and
  `raw_answer` (the model's text before the guardrail), beside `answer` (what the
  student saw).
- `experiments.preregistration` is frozen when the experiment starts (`registered_at`):
  a trigger refuses to change either afterwards.
- `experiment_allocations` is the allocation log an auditor can check without the
  pseudonym key: each assignment's sequence number, block and arm, and the arm counts
  after it; no user id, so it survives account deletion as anonymised counts. Existing
  assignments are backfilled into it in the order they were made.
- `consent_records.actor_id` is who recorded the choice (the student, or an admin on
  their behalf); `source` says how. One record per existing account is backfilled
  (source 'migration', dated at account creation, the current choice), so a legacy
  user's first change no longer makes withdrawal retroactive.
- `research_exports` lists every export and report made, with its provenance and the
  time, so the next export can name the SubjectIDs withdrawn since; `erased_subjects`
  keeps the SubjectID (under the key in force) of a student who erased their data, for
  the same list. No user id: it outlives the account.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FREEZE_PLAN = """
CREATE FUNCTION experiments_plan_frozen() RETURNS trigger AS $$
BEGIN
    IF NEW.preregistration IS DISTINCT FROM OLD.preregistration
       OR NEW.registered_at IS DISTINCT FROM OLD.registered_at THEN
        RAISE EXCEPTION 'an experiment''s pre-registration is frozen when it starts';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER experiments_plan_frozen BEFORE UPDATE ON experiments
FOR EACH ROW EXECUTE FUNCTION experiments_plan_frozen();
"""

# Assignments made before the log, in the order they were made, as the log would hold them.
BACKFILL_ALLOCATIONS = """
WITH numbered AS (
    SELECT s.experiment_id, a.name AS arm, s.assigned_at,
        row_number() OVER (PARTITION BY s.experiment_id ORDER BY s.assigned_at, s.user_id) AS seq,
        (SELECT count(*) FROM experiment_arms k WHERE k.experiment_id = s.experiment_id) AS k
    FROM experiment_assignments s JOIN experiment_arms a ON a.id = s.arm_id)
INSERT INTO experiment_allocations (experiment_id, seq, block, arm, counts, assigned_at)
SELECT n.experiment_id, n.seq, (n.seq - 1) / n.k + 1, n.arm,
    (SELECT jsonb_object_agg(k.name, (SELECT count(*) FROM numbered m
        WHERE m.experiment_id = n.experiment_id AND m.arm = k.name AND m.seq <= n.seq))
     FROM experiment_arms k WHERE k.experiment_id = n.experiment_id),
    n.assigned_at
FROM numbered n
"""

BACKFILL_CONSENT = """
INSERT INTO consent_records (user_id, given, text_version, source, recorded_at, actor_id)
SELECT u.id, u.research_consent, NULL, 'migration', u.created_at, NULL
FROM users u
WHERE NOT EXISTS (SELECT 1 FROM consent_records c WHERE c.user_id = u.id)
"""


def upgrade() -> None:
    for name, type_ in (
        ("messages_sha256", sa.String(length=64)),
        ("messages", postgresql.JSONB()),
        ("decoding", postgresql.JSONB()),
        ("response_id", sa.String(length=200)),
        ("system_fingerprint", sa.String(length=200)),
        ("model_returned", sa.String(length=100)),
        ("raw_answer", sa.Text()),
    ):
        op.add_column("interactions", sa.Column(name, type_, nullable=True))
    op.add_column("experiments", sa.Column("preregistration", postgresql.JSONB(), nullable=True))
    op.add_column(
        "experiments", sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "experiment_allocations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(length=64), nullable=False),
        sa.Column("counts", postgresql.JSONB(), nullable=False),
        sa.Column(
            "assigned_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_allocations_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_allocations")),
        sa.UniqueConstraint("experiment_id", "seq", name="uq_experiment_allocations_seq"),
    )
    op.execute(BACKFILL_ALLOCATIONS)
    op.execute(FREEZE_PLAN)
    op.add_column("consent_records", sa.Column("actor_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_consent_records_actor_id_users"),
        "consent_records",
        "users",
        ["actor_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.execute(BACKFILL_CONSENT)
    op.create_table(
        "research_exports",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("provenance", postgresql.JSONB(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_exports")),
    )
    op.create_index(
        "ix_research_exports_kind_key", "research_exports", ["kind", "key_id", "created_at"]
    )
    op.create_table(
        "erased_subjects",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column(
            "erased_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erased_subjects")),
    )
    op.create_index("ix_erased_subjects_key_erased", "erased_subjects", ["key_id", "erased_at"])


def downgrade() -> None:
    op.drop_index("ix_erased_subjects_key_erased", table_name="erased_subjects")
    op.drop_table("erased_subjects")
    op.drop_index("ix_research_exports_kind_key", table_name="research_exports")
    op.drop_table("research_exports")
    op.execute("DELETE FROM consent_records WHERE source = 'migration'")
    op.drop_constraint(
        op.f("fk_consent_records_actor_id_users"), "consent_records", type_="foreignkey"
    )
    op.drop_column("consent_records", "actor_id")
    op.execute("DROP TRIGGER experiments_plan_frozen ON experiments")
    op.execute("DROP FUNCTION experiments_plan_frozen()")
    op.drop_table("experiment_allocations")
    op.drop_column("experiments", "registered_at")
    op.drop_column("experiments", "preregistration")
    for name in (
        "raw_answer",
        "model_returned",
        "system_fingerprint",
        "response_id",
        "decoding",
        "messages",
        "messages_sha256",
    ):
        op.drop_column("interactions", name)
