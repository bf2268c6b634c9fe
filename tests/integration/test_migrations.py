"""The migrations and the models describe one schema, the newest migration runs back down,
and data migrations convert what earlier revisions stored."""

from __future__ import annotations

import json
import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from ainative.db import migrate
from ainative.db.models import Base


def _differences(database_url: str) -> list[object]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))
    finally:
        engine.dispose()


def test_migrated_database_matches_the_models(fresh_database_url: str) -> None:
    migrate.upgrade(fresh_database_url)
    assert _differences(fresh_database_url) == []


def test_newest_migration_downgrades_and_upgrades_again(fresh_database_url: str) -> None:
    from alembic import command

    cfg = migrate.alembic_config(fresh_database_url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "-1")
    command.upgrade(cfg, "head")
    assert _differences(fresh_database_url) == []


# Rows as revision 0002 stored them: (stored rating, rated events oldest first) -> after 0003
# (helpful, score). Events are payloads of `interaction.rated`; see 0003's docstring.
OLD_RATINGS = {
    "thumbs up": (1, [{"rating": 1, "helpful": True, "comment": None}], (True, None)),
    "thumbs down": (-1, [{"rating": -1, "helpful": False, "comment": None}], (False, None)),
    "score 1 by the API": (1, [{"rating": 1, "helpful": None, "comment": None}], (None, 1)),
    "score 4, no event": (4, [], (None, 4)),
    "rating 0, no event": (0, [], (False, None)),
    "rating -1, no event": (-1, [], (False, None)),
    "rating and helpful together": (4, [{"rating": 4, "helpful": True}], (True, 4)),
    "thumbs, then a score": (5, [{"rating": 1, "helpful": True}, {"rating": 5}], (None, 5)),
    "score, then thumbs": (-1, [{"rating": 3}, {"rating": -1, "helpful": False}], (False, None)),
    "event disagrees with the row": (2, [{"rating": 1, "helpful": True}], (None, 2)),
    "new-form event": (1, [{"helpful": True, "score": None}], (True, None)),
    "new-form, both": (3, [{"helpful": False, "score": 3}], (False, 3)),
    "not rated": (None, [], (None, None)),
}


def _seed_old_ratings(conn) -> dict[str, uuid.UUID]:
    """Interactions and their rated events at revision 0002; ids by case name."""
    user = conn.execute(
        text(
            "INSERT INTO users (email, username, password_hash)"
            " VALUES ('old@example.org', 'old_rater', 'x') RETURNING id"
        )
    ).scalar_one()
    ids = {}
    for name, (rating, events, _) in OLD_RATINGS.items():
        ids[name] = uuid.uuid4()
        conn.execute(
            text(
                "INSERT INTO interactions (id, user_id, mode, prompt, status, rating)"
                " VALUES (:id, :u, 'socratic', :p, 'done', :r)"
            ),
            {"id": ids[name], "u": user, "p": name, "r": rating},
        )
        for minute, payload in enumerate(events):
            conn.execute(
                text(
                    "INSERT INTO events (event_type, user_id, interaction_id, occurred_at, payload)"
                    " VALUES ('interaction.rated', :u, :i,"
                    " timestamptz '2026-03-02 10:00+00' + make_interval(mins => :m),"
                    " CAST(:p AS jsonb))"
                ),
                {"u": user, "i": ids[name], "m": minute, "p": json.dumps(payload)},
            )
    return ids


def _column(database_url: str, ids: dict[str, uuid.UUID], sql: str) -> dict[str, object]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT id, {sql} FROM interactions")).all()
    finally:
        engine.dispose()
    by_id = {row[0]: row[1] if len(row) == 2 else tuple(row[1:]) for row in rows}
    return {name: by_id[i] for name, i in ids.items()}


def test_0003_splits_old_ratings_into_helpful_and_score(fresh_database_url: str) -> None:
    from alembic import command

    cfg = migrate.alembic_config(fresh_database_url)
    command.downgrade(cfg, "0002")
    engine = create_engine(fresh_database_url)
    try:
        with engine.begin() as conn:
            ids = _seed_old_ratings(conn)
    finally:
        engine.dispose()

    command.upgrade(cfg, "0003")
    converted = _column(fresh_database_url, ids, "helpful, score")
    assert converted == {name: case[2] for name, case in OLD_RATINGS.items()}

    command.downgrade(cfg, "0002")
    back = _column(fresh_database_url, ids, "rating")
    expected_back = {
        name: None if h is None and s is None else s if s is not None else (1 if h else -1)
        for name, (_, _, (h, s)) in OLD_RATINGS.items()
    }
    assert back == expected_back
    assert back["rating 0, no event"] == -1  # 0 had no meaning of its own: "not helpful"

    command.upgrade(cfg, "0003")
    assert _column(fresh_database_url, ids, "helpful, score") == converted


def test_0009_ties_existing_reset_links_to_the_generation_and_keeps_the_newest_live(
    fresh_database_url: str,
) -> None:
    """Links stored at 0008 take the account's current generation; of several unused links
    per account only the newest stays live (one live link each)."""
    from alembic import command

    cfg = migrate.alembic_config(fresh_database_url)
    command.downgrade(cfg, "0008")
    engine = create_engine(fresh_database_url)
    try:
        with engine.begin() as conn:
            user = conn.execute(
                text(
                    "INSERT INTO users (email, username, password_hash, token_generation)"
                    " VALUES ('reset@example.org', 'resetme', 'x', 3) RETURNING id"
                )
            ).scalar_one()
            for n, used in (("a", False), ("b", True), ("c", False), ("d", False)):
                conn.execute(
                    text(
                        "INSERT INTO password_resets (user_id, token_hash, expires_at, used_at)"
                        " VALUES (:u, :h, now() + interval '1 hour',"
                        " CASE WHEN :used THEN now() END)"
                    ),
                    {"u": user, "h": n * 64, "used": used},
                )
        command.upgrade(cfg, "0009")
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT left(token_hash, 1), target_generation, used_at IS NOT NULL,"
                    " revoked_at IS NOT NULL FROM password_resets ORDER BY id"
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("a", 3, False, True),
        ("b", 3, True, False),
        ("c", 3, False, True),
        ("d", 3, False, False),
    ]


def test_0012_backfills_one_consent_record_per_account_and_the_allocation_log(
    fresh_database_url: str,
) -> None:
    """Accounts without a record get one (their choice, dated at account creation, source
    'migration'), so a later change is not retroactive; existing assignments enter the
    allocation log in the order they were made, with running counts."""
    from alembic import command

    cfg = migrate.alembic_config(fresh_database_url)
    command.downgrade(cfg, "0011")
    engine = create_engine(fresh_database_url)
    try:
        with engine.begin() as conn:
            ids = (
                conn.execute(
                    text(
                        "INSERT INTO users (email, username, password_hash, research_consent, "
                        "created_at) VALUES ('old1@example.org', 'old1', 'x', true, "
                        "'2026-01-05T10:00Z'), ('old2@example.org', 'old2', 'x', false, "
                        "'2026-01-06T10:00Z'), ('new@example.org', 'newer', 'x', true, now()) "
                        "RETURNING id"
                    )
                )
                .scalars()
                .all()
            )
            conn.execute(
                text("INSERT INTO consent_records (user_id, given) VALUES (:u, true)"),
                {"u": ids[2]},
            )
            course = conn.execute(
                text("INSERT INTO courses (code, title) VALUES ('MIG12', 'm') RETURNING id")
            ).scalar_one()
            experiment = conn.execute(
                text("INSERT INTO experiments (course_id, name) VALUES (:c, 'e') RETURNING id"),
                {"c": course},
            ).scalar_one()
            arms = (
                conn.execute(
                    text(
                        "INSERT INTO experiment_arms (experiment_id, name) VALUES (:e, 'a'), "
                        "(:e, 'b') RETURNING id"
                    ),
                    {"e": experiment},
                )
                .scalars()
                .all()
            )
            for n, (user, arm) in enumerate(zip(ids, [arms[1], arms[0], arms[1]], strict=True)):
                conn.execute(
                    text(
                        "INSERT INTO experiment_assignments (experiment_id, user_id, arm_id, "
                        "assigned_at) VALUES (:e, :u, :a, now() + make_interval(secs => :n))"
                    ),
                    {"e": experiment, "u": user, "a": arm, "n": n},
                )
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            records = conn.execute(
                text(
                    "SELECT c.user_id, c.given, c.source, c.recorded_at = u.created_at AS dated "
                    "FROM consent_records c JOIN users u ON u.id = c.user_id ORDER BY c.user_id"
                )
            ).all()
            log = conn.execute(
                text(
                    "SELECT seq, block, arm, counts FROM experiment_allocations "
                    "WHERE experiment_id = :e ORDER BY seq"
                ),
                {"e": experiment},
            ).all()
    finally:
        engine.dispose()
    assert [(r.user_id, r.given, r.source, r.dated) for r in records] == [
        (ids[0], True, "migration", True),
        (ids[1], False, "migration", True),
        (ids[2], True, "api", True),  # had a record (same transaction): none added
    ]
    assert [(r.seq, r.block, r.arm, r.counts) for r in log] == [
        (1, 1, "b", {"a": 0, "b": 1}),
        (2, 1, "a", {"a": 1, "b": 1}),
        (3, 2, "b", {"a": 1, "b": 2}),
    ]
