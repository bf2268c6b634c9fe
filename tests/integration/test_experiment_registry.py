"""Experiments as CONSORT asks: a pre-registration frozen at the start, and an allocation
log of permuted blocks that an auditor checks without any key and that outlives accounts."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from ainative.course.errors import ExperimentError
from ainative.course.experiments import allocation_log, arm_for, create_experiment, tie_break
from tests.support.factories import make_course

KEY = "a" * 32
ARMS = [("a", {}), ("b", {}), ("c", {})]
PLAN = {
    "hypothesis": "Hints shorten the time to fix an error",
    "primary_outcome": "time_to_fix",
    "planned_n": 9,
    "planned_end": "2027-03-01",
    "analysis_commit": "81CA796",
}


@pytest.fixture
def engine(fresh_database_url: str):
    engine = create_engine(fresh_database_url)
    yield engine
    engine.dispose()


def _students(engine, n: int) -> list[int]:
    with engine.begin() as conn:
        return list(
            conn.execute(
                text(
                    "INSERT INTO users (email, username, password_hash) "
                    "SELECT 'r' || g || '@example.org', 'r' || g, 'x' "
                    "FROM generate_series(1, :n) g RETURNING id"
                ),
                {"n": n},
            ).scalars()
        )


def test_the_plan_is_stored_with_the_start_and_frozen(engine) -> None:
    course = make_course(engine, code="REG1", title="Registry")
    with engine.begin() as conn:
        experiment = create_experiment(
            conn, course_id=course, name="t", arms=ARMS, preregistration=PLAN
        )
        plan, at = conn.execute(
            text("SELECT preregistration, registered_at FROM experiments WHERE id = :e"),
            {"e": experiment},
        ).one()
    assert plan == {**PLAN, "analysis_commit": "81ca796", "secondary_outcomes": []}
    assert at is not None
    with pytest.raises(DBAPIError, match="frozen"), engine.begin() as conn:
        conn.execute(
            text("UPDATE experiments SET preregistration = '{}'::jsonb WHERE id = :e"),
            {"e": experiment},
        )
    with engine.begin() as conn:  # ending it is still allowed
        conn.execute(
            text("UPDATE experiments SET ended_at = now() WHERE id = :e"), {"e": experiment}
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"planned_n": 1}, "planned_n"),
        ({"planned_end": "next spring"}, "planned_end"),
        ({"analysis_commit": "main"}, "analysis_commit"),
        ({"hypothesis": ""}, "needs hypothesis"),
        ({"alpha": 0.05}, "no field alpha"),
    ],
)
def test_a_malformed_plan_is_refused_by_name(engine, change, message) -> None:
    course = make_course(engine, code="REG2", title="Registry")
    with pytest.raises(ExperimentError, match=message), engine.begin() as conn:
        create_experiment(
            conn, course_id=course, name="t", arms=ARMS, preregistration={**PLAN, **change}
        )


def test_allocation_is_permuted_blocks_logged_without_students(engine) -> None:
    course = make_course(engine, code="REG3", title="Registry")
    students = _students(engine, 8)
    with engine.begin() as conn:
        experiment = create_experiment(conn, course_id=course, name="t", arms=ARMS)
    got = []
    for user in students:
        with engine.begin() as conn:
            got.append(arm_for(conn, course_id=course, user_id=user, key=KEY).name)
    with engine.connect() as conn:
        log = allocation_log(conn, experiment_id=experiment)
    # the auditor's check, from the log alone: every full block holds every arm once
    assert [r["seq"] for r in log] == list(range(1, 9))
    assert [r["block"] for r in log] == [1, 1, 1, 2, 2, 2, 3, 3]
    for block in (1, 2):
        assert sorted(r["arm"] for r in log if r["block"] == block) == ["a", "b", "c"]
    assert log[-1]["counts"] == {"a": 3, "b": 3, "c": 2} or sorted(log[-1]["counts"].values()) == [
        2,
        3,
        3,
    ]
    assert [r["arm"] for r in log] == got
    # with the allocation key, the first student's arm is the smallest keyed hash
    first = min(ARMS, key=lambda a: tie_break(KEY, students[0], experiment, a[0]))[0]
    assert got[0] == first
    with engine.connect() as conn:  # the log holds no user ids at all
        columns = conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'experiment_allocations'"
            )
        ).scalars()
        assert not {"user_id", "subject_id"} & set(columns)


def test_deleting_an_account_keeps_its_assignment_as_a_count(engine) -> None:
    course = make_course(engine, code="REG4", title="Registry")
    students = _students(engine, 4)
    with engine.begin() as conn:
        experiment = create_experiment(conn, course_id=course, name="t", arms=ARMS[:2])
    for user in students[:2]:
        with engine.begin() as conn:
            arm_for(conn, course_id=course, user_id=user, key=KEY)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": students[0]})
    with engine.begin() as conn:
        arm_for(conn, course_id=course, user_id=students[2], key=KEY)
        left = conn.execute(
            text("SELECT count(*) FROM experiment_assignments WHERE experiment_id = :e"),
            {"e": experiment},
        ).scalar()
        log = allocation_log(conn, experiment_id=experiment)
    assert left == 2 and len(log) == 3  # the deleted student's assignment is still counted
    assert sum(log[-1]["counts"].values()) == 3 and log[-1]["block"] == 2


def test_the_cli_registers_the_plan_and_prints_the_log(
    fresh_database_url: str, engine, monkeypatch, capsys
) -> None:
    from ainative.cli import main as cli_main
    from ainative.config import get_settings

    course = make_course(engine, code="REG5", title="Registry")
    student = _students(engine, 1)[0]
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    get_settings.cache_clear()
    plan = [
        "--hypothesis", PLAN["hypothesis"], "--primary-outcome", "time_to_fix",
        "--planned-n", "9", "--planned-end", "2027-03-01", "--analysis-commit", "81ca796",
    ]  # fmt: skip
    args = ["experiments", "create", "REG5", "t", "--arm", "a", "--arm", "b"]
    assert cli_main([*args, "--planned-n", "9"]) == 1
    assert "needs hypothesis" in capsys.readouterr().err
    assert cli_main([*args, *plan]) == 0
    capsys.readouterr()
    with engine.begin() as conn:
        experiment = conn.execute(text("SELECT id FROM experiments")).scalar_one()
        arm_for(conn, course_id=course, user_id=student, key=KEY)
    assert cli_main(["experiments", "log", "REG5", str(experiment)]) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert rows[0] == ["seq", "block", "arm", "counts", "assigned_at"] and len(rows) == 2
    assert rows[1][:2] == ["1", "1"] and rows[1][2] in ("a", "b")
    assert json.loads(rows[1][3]) == {"a": 0, "b": 0, rows[1][2]: 1}
    get_settings.cache_clear()
