"""`ainative seed-demo` on a fresh database: the cohort lands in the platform's tables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from ainative.auth.passwords import verify_password
from ainative.cli import main as cli_main
from analytics.synth import CohortSpec, generate


@pytest.fixture
def cli_database(fresh_database_url: str, monkeypatch) -> Iterator[str]:
    from ainative.config import get_settings

    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    get_settings.cache_clear()
    yield fresh_database_url
    get_settings.cache_clear()


def test_seed_demo_fills_every_table(cli_database: str, capsys) -> None:
    args = ["seed-demo", "--students", "8", "--days", "5", "--seed", "3", "--course", "SEED1"]
    assert cli_main(args) == 0
    assert "seeded course SEED1" in capsys.readouterr().out
    engine = create_engine(cli_database)
    with engine.connect() as conn:
        count = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("users", "memberships", "tutor_sessions", "interactions", "events")
        }
        hashes = conn.execute(text("SELECT DISTINCT password_hash FROM users")).scalars().all()
        kinds = set(conn.execute(text("SELECT DISTINCT event_type FROM events")).scalars())
        versions = conn.execute(  # the course service made the course with its first version
            text(
                "SELECT v.version, v.created_at <= (SELECT min(created_at) FROM interactions) "
                "FROM course_policy_versions v JOIN courses c ON c.id = v.course_id "
                "WHERE c.code = 'SEED1'"
            )
        ).all()
    engine.dispose()
    assert count["users"] == 9 and count["memberships"] == 9  # 8 students + instructor
    assert count["tutor_sessions"] > 0 and count["interactions"] > 0 and count["events"] > 0
    assert len(hashes) == 1 and verify_password("Demo-pass-1", hashes[0])  # hashed once
    assert kinds == {"cell.executed", "course.deadline"}
    assert [tuple(v) for v in versions] == [(1, True)]  # dated from the cohort's first day
    assert cli_main(args) == 1  # the course exists: refused, nothing duplicated


def test_cohorts_are_reproducible_and_shaped() -> None:
    spec = CohortSpec(students=30, days=14, seed=9)
    a, b = generate(spec), generate(spec)
    assert [i["prompt"] for i in a.interactions] == [i["prompt"] for i in b.interactions]
    per_student = a.users.assign(
        requests=[sum(i["user_id"] == k for i in a.interactions) for k in range(30)]
    )["requests"]
    top = per_student.sort_values(ascending=False)
    assert top.head(6).sum() > 0.4 * top.sum()  # a minority of heavy users
    failing = [e for e in a.events if not e["payload"]["success"]]
    assert failing and any(i["classification"] == "debugging" for i in a.interactions)
    assert any(i["classification"] == "solution-request" for i in a.interactions)


def _stored_cohort(database_url: str) -> list[tuple]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.id, i.created_at, i.prompt, i.classification, u.username "
                "FROM interactions i JOIN users u ON u.id = i.user_id ORDER BY i.id"
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_seed_demo_with_end_and_seed_gives_the_same_data_on_any_day(
    cli_database: str, services, monkeypatch
) -> None:
    from ainative.config import get_settings

    args = ["seed-demo", "--students", "6", "--days", "4", "--seed", "7", "--end", "2026-06-30"]
    assert cli_main([*args, "--course", "SAME1"]) == 0
    first = _stored_cohort(cli_database)
    second_url = services.create_database()
    try:
        monkeypatch.setenv("DATABASE_URL", second_url)
        get_settings.cache_clear()
        assert cli_main([*args, "--course", "SAME1"]) == 0
        second = _stored_cohort(second_url)
    finally:
        services.drop_database(second_url)
    assert first and first == second
    assert max(row[1] for row in first).date().isoformat() <= "2026-06-30"


def test_seed_demo_refuses_a_malformed_end_date(cli_database: str, capsys) -> None:
    with pytest.raises(SystemExit):
        cli_main(["seed-demo", "--end", "30/06/2026"])
    assert "is not a date like 2026-06-30" in capsys.readouterr().err
