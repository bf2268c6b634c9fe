"""one rating scale per field: helpful (yes/no) and an optional 1-5 score replace `rating`

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 17:40:00

Before this revision `interactions.rating` (-1..5) held two scales at once: the widget's
thumbs stored +1/-1 and API clients stored 1..5, so a thumbs-up and a score of 1 were the
same number. The upgrade tells them apart with the newest `interaction.rated` event of
each rated interaction, whose payload has a boolean "helpful" when the thumbs were used:

- thumbs (the event's "helpful" is true/false, its "rating" equals the stored rating):
  helpful = that answer; no score, unless the stored rating is not the thumb's own value
  (rating and helpful were sent together), in which case a rating of 1..5 is the score;
- no such event (rows written without the API, events deleted, a rating sent without
  "helpful"): a rating of 1..5 becomes the score, -1 or 0 becomes helpful = false;
- an event already in the new form (payload with "score", written after this revision
  and kept across a downgrade) whose values map to the stored rating: its helpful and
  score, so a downgrade followed by an upgrade loses nothing.

The downgrade maps back: rating = score if there is one, else +1 / -1 for helpful
true / false; a row with both keeps the score as its rating (its helpful answer stays in
the events). Event payloads are never rewritten.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_CONVERT = """
WITH latest AS (
    SELECT DISTINCT ON (interaction_id) interaction_id, payload AS p
    FROM events
    WHERE event_type = 'interaction.rated' AND interaction_id IS NOT NULL
    ORDER BY interaction_id, occurred_at DESC, id DESC
), told AS (
    SELECT i.id, i.rating, l.p ? 'score' AS new_form,
           l.p ->> 'rating' = i.rating::text AS same_rating,
           CASE jsonb_typeof(l.p -> 'helpful')
               WHEN 'boolean' THEN (l.p ->> 'helpful')::boolean END AS helpful,
           CASE WHEN l.p ->> 'score' IN ('1', '2', '3', '4', '5')
               THEN (l.p ->> 'score')::smallint END AS score
    FROM interactions i LEFT JOIN latest l ON l.interaction_id = i.id
    WHERE i.rating IS NOT NULL
), ruled AS (
    SELECT id, rating, helpful, score,
           CASE
               WHEN new_form AND rating IS NOT DISTINCT FROM
                    COALESCE(score, CASE helpful WHEN true THEN 1 WHEN false THEN -1 END)
                   THEN 'event'
               WHEN same_rating AND helpful IS NOT NULL THEN 'thumbs'
               ELSE 'value'
           END AS rule
    FROM told
)
UPDATE interactions x SET
    helpful = CASE r.rule
        WHEN 'value' THEN CASE WHEN r.rating IN (-1, 0) THEN false END
        ELSE r.helpful END,
    score = CASE r.rule
        WHEN 'event' THEN r.score
        WHEN 'thumbs' THEN CASE
            WHEN r.rating BETWEEN 1 AND 5
                 AND r.rating <> CASE WHEN r.helpful THEN 1 ELSE -1 END
            THEN r.rating END
        ELSE CASE WHEN r.rating BETWEEN 1 AND 5 THEN r.rating END END
FROM ruled r
WHERE x.id = r.id
"""

_CONVERT_BACK = """
UPDATE interactions
SET rating = COALESCE(score, CASE helpful WHEN true THEN 1 WHEN false THEN -1 END)
WHERE helpful IS NOT NULL OR score IS NOT NULL
"""


def upgrade() -> None:
    op.add_column("interactions", sa.Column("helpful", sa.Boolean(), nullable=True))
    op.add_column("interactions", sa.Column("score", sa.SmallInteger(), nullable=True))
    op.create_check_constraint("score", "interactions", "score IS NULL OR score BETWEEN 1 AND 5")
    op.execute(_CONVERT)
    op.drop_constraint(op.f("ck_interactions_rating"), "interactions", type_="check")
    op.drop_column("interactions", "rating")


def downgrade() -> None:
    op.add_column("interactions", sa.Column("rating", sa.SmallInteger(), nullable=True))
    op.create_check_constraint(
        "rating", "interactions", "rating IS NULL OR rating BETWEEN -1 AND 5"
    )
    op.execute(_CONVERT_BACK)
    op.drop_constraint(op.f("ck_interactions_score"), "interactions", type_="check")
    op.drop_column("interactions", "score")
    op.drop_column("interactions", "helpful")
