"""Experiments: balanced, stable, deterministic assignment; one running per course;
versioned course policies."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from ainative.course import courses
from ainative.course.errors import ExperimentError
from ainative.course.experiments import (
    arm_for,
    create_experiment,
    effective_policy,
    end_experiment,
)
from tests.support.factories import make_course

KEY = "k" * 32
ARMS = [("socratic-only", {"allowed_modes": ["socratic"]}), ("all-modes", {})]


@pytest.fixture
def engine(fresh_database_url: str):
    engine = create_engine(fresh_database_url, pool_size=10)
    yield engine
    engine.dispose()


def _course_and_students(engine, n: int) -> tuple[int, list[int]]:
    course_id = make_course(engine, code="EXP1", title="Experiments")
    with engine.begin() as conn:
        ids = (
            conn.execute(
                text(
                    "INSERT INTO users (email, username, password_hash) "
                    "SELECT 's' || g || '@example.org', 's' || g, 'x' "
                    "FROM generate_series(1, :n) g "
                    "RETURNING id"
                ),
                {"n": n},
            )
            .scalars()
            .all()
        )
    return course_id, list(ids)


def _assign(engine, course_id: int, user_id: int) -> str | None:
    with engine.begin() as conn:
        arm = arm_for(conn, course_id=course_id, user_id=user_id, key=KEY)
    return None if arm is None else arm.name


def test_students_are_assigned_in_balance_and_keep_their_arm(engine) -> None:
    course_id, students = _course_and_students(engine, 21)
    with engine.begin() as conn:
        create_experiment(conn, course_id=course_id, name="modes", arms=ARMS)
    with ThreadPoolExecutor(8) as pool:  # first questions arriving together
        first = list(pool.map(lambda u: _assign(engine, course_id, u), students))
    counts = Counter(first)
    assert sorted(counts.values()) == [10, 11]
    assert [_assign(engine, course_id, u) for u in students] == first  # stable


def test_assignment_is_deterministic_for_the_same_arrivals(fresh_database_url, services) -> None:
    orders = []
    for _ in range(2):
        url = services.create_database()
        eng = create_engine(url)
        try:
            course_id, students = _course_and_students(eng, 9)
            with eng.begin() as conn:
                create_experiment(conn, course_id=course_id, name="modes", arms=ARMS)
            orders.append([_assign(eng, course_id, u) for u in students])
        finally:
            eng.dispose()
            services.drop_database(url)
    assert orders[0] == orders[1]


def test_one_running_experiment_per_course_and_ending_it(engine) -> None:
    course_id, students = _course_and_students(engine, 2)
    with engine.begin() as conn:
        experiment_id = create_experiment(conn, course_id=course_id, name="a", arms=ARMS)
    with pytest.raises(ExperimentError, match="still running"), engine.begin() as conn:
        create_experiment(conn, course_id=course_id, name="b", arms=ARMS)
    with pytest.raises(ExperimentError, match="at least two arms"), engine.begin() as conn:
        create_experiment(conn, course_id=course_id, name="c", arms=ARMS[:1])
    with pytest.raises(ExperimentError, match="cannot set quota_per_hour"), engine.begin() as conn:
        create_experiment(
            conn,
            course_id=course_id,
            name="d",
            arms=[("x", {"quota_per_hour": 1})] * 1 + [("y", {})],
        )
    with engine.begin() as conn:
        assert end_experiment(conn, course_id=course_id, experiment_id=experiment_id)
        assert not end_experiment(conn, course_id=course_id, experiment_id=experiment_id)
    assert _assign(engine, course_id, students[0]) is None


def test_an_arm_lays_its_policy_over_the_course() -> None:
    from ainative.course.experiments import Arm

    arm = Arm(1, "e", 2, "strict", {"guardrail": "strict", "allowed_modes": ["hints"]})
    course = {"allowed_modes": ["socratic", "hints"], "quota_per_hour": 5}
    assert effective_policy(course, arm) == {
        "allowed_modes": ["hints"],
        "quota_per_hour": 5,
        "guardrail": "strict",
    }
    assert effective_policy(course, None) == course


def test_policy_changes_are_versions(engine) -> None:
    with Session(engine) as session, session.begin():
        course = courses.create_course(session, code="V1", title="Versions")
        courses.set_policy(session, course=course, policy={"quota_per_hour": 3})
        courses.set_policy(session, course=course, policy={"quota_per_hour": 4})
        course_id, version = course.id, course.policy_version
    with engine.connect() as conn:
        history = conn.execute(
            text(
                "SELECT version, policy FROM course_policy_versions WHERE course_id = :c "
                "ORDER BY version"
            ),
            {"c": course_id},
        ).all()
    assert version == 3
    assert [(v, p) for v, p in history] == [
        (1, {}),
        (2, {"quota_per_hour": 3}),
        (3, {"quota_per_hour": 4}),
    ]


def test_the_cli_starts_lists_and_ends_an_experiment(
    fresh_database_url: str, engine, monkeypatch, capsys
) -> None:
    from ainative.cli import main as cli_main
    from ainative.config import get_settings

    course_id, students = _course_and_students(engine, 2)
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    get_settings.cache_clear()
    arms = ["--arm", 'hints={"allowed_modes": ["hints"]}', "--arm", "control"]
    assert cli_main(["experiments", "create", "EXP1", "trial", *arms]) == 0
    assert "started in EXP1: hints, control" in capsys.readouterr().out
    assert cli_main(["experiments", "create", "EXP1", "bad", "--arm", "x={", "--arm", "y"]) == 1
    assert "not JSON" in capsys.readouterr().err
    _assign(engine, course_id, students[0])
    assert cli_main(["experiments", "list", "EXP1"]) == 0
    listing = capsys.readouterr().out
    assert "trial  (running)" in listing and "1 students" in listing
    experiment_id = int(listing.split()[0])
    assert cli_main(["experiments", "end", "EXP1", str(experiment_id)]) == 0
    assert cli_main(["experiments", "end", "EXP1", str(experiment_id)]) == 1
    assert cli_main(["experiments", "list", "NOPE"]) == 1
    get_settings.cache_clear()
