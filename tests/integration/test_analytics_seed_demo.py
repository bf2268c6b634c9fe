"""`ainative seed-demo` on a fresh database: the cohort lands in the platform's tables."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from ainative.auth.passwords import verify_password
from ainative.auth.users import InvalidCredentialsError, authenticate
from ainative.cli import main as cli_main
from analytics.synth import CohortSpec, generate


@pytest.fixture
def cli_database(fresh_database_url: str, monkeypatch) -> Iterator[str]:
    from ainative.config import get_settings

    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    get_settings.cache_clear()
    yield fresh_database_url
    get_settings.cache_clear()


def printed_logins(out: str) -> dict[str, str]:
    """username -> password, as seed-demo prints them (the one place they are shown)."""
    return dict(re.findall(r"^  (?:students, e\.g\.|instructor) (\S+): (\S+)$", out, re.M))


def test_seed_demo_fills_every_table(cli_database: str, capsys) -> None:
    args = ["seed-demo", "--students", "8", "--days", "5", "--seed", "3", "--course", "SEED1"]
    assert cli_main(args) == 0
    out = capsys.readouterr().out
    assert "seeded course SEED1" in out
    logins = printed_logins(out)
    assert set(logins) == {"seed1_s0000", "seed1_teacher"}
    engine = create_engine(cli_database)
    with engine.connect() as conn:
        count = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("users", "memberships", "tutor_sessions", "interactions", "events")
        }
        hashes = dict(conn.execute(text("SELECT username, password_hash FROM users")).all())
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
    students = {h for name, h in hashes.items() if name != "seed1_teacher"}
    assert len(students) == 1  # hashed once, shared by the students
    assert verify_password(logins["seed1_s0000"], students.pop())
    assert verify_password(logins["seed1_teacher"], hashes["seed1_teacher"])
    assert logins["seed1_s0000"] != logins["seed1_teacher"]
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


PUBLISHED_PASSWORD = "Demo-pass-1"  # the password seed-demo and docs/analytics.md once gave


def test_attack_published_demo_password_opens_no_seeded_account(cli_database: str, capsys) -> None:
    """Log in to a seeded instructor and student with the password the docs published."""
    assert cli_main(["seed-demo", "--students", "3", "--days", "2", "--course", "ATTK1"]) == 0
    logins = printed_logins(capsys.readouterr().out)
    engine = create_engine(cli_database)
    try:
        with Session(engine) as session:
            for name in ("attk1_teacher", "attk1_s0000", "attk1_s0002"):
                with pytest.raises(InvalidCredentialsError):
                    authenticate(session, login=name, password=PUBLISHED_PASSWORD)
            # the printed passwords are the only way in
            assert authenticate(session, login="attk1_s0002", password=logins["attk1_s0000"])
            teacher = authenticate(session, login="attk1_teacher", password=logins["attk1_teacher"])
            assert teacher.roles == ["instructor"]
    finally:
        engine.dispose()
    assert cli_main(["seed-demo", "--students", "1", "--days", "1", "--course", "ATTK2"]) == 0
    again = printed_logins(capsys.readouterr().out)
    assert again["attk2_teacher"] != logins["attk1_teacher"]  # random, not a constant


def test_attack_seed_demo_on_a_production_database_is_refused(
    cli_database: str, capsys, monkeypatch
) -> None:
    """Run seed-demo against a database configured as production."""
    from ainative.config import get_settings

    monkeypatch.setenv("ENVIRONMENT", "production")
    get_settings.cache_clear()
    assert cli_main(["seed-demo", "--students", "2", "--days", "1", "--course", "PROD1"]) == 2
    assert "refusing to run with ENVIRONMENT=production" in capsys.readouterr().out
    engine = create_engine(cli_database)
    with engine.connect() as conn:
        users = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
        courses = conn.execute(text("SELECT count(*) FROM courses")).scalar_one()
    engine.dispose()
    assert users == 0 and courses == 0
