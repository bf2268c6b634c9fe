"""Assignments in the research trace: leak columns, the leak rate, AI-window refusals.

A seeded cohort with an experiment and two assignments; answered requests of consenting
students are tied to them with pinned times, arms and leak records (the shape the
guardrail stores: score, leak, threshold, decision, parts with tests.passed), one from a
student who declined; ai_window.refused events as ainative.tutor.submit records them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from analytics import load
from analytics.leak_rates import iso_week, leak_rate, window_refusals
from analytics.load_windows import load_exercises, load_window_refusals
from analytics.progsnap2 import export_progsnap2, keyed_id
from analytics.synth import CohortSpec, ExperimentSpec, generate
from analytics.synth_write import write
from analytics.trace_filter import TraceFilter

END = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)  # a Monday: ISO week 2026-W14
W12 = END - timedelta(days=8)  # Sunday 2026-03-22
W13 = END - timedelta(days=1)  # Sunday 2026-03-29
KEY = "test-leak-key"
# (assignment, arm, time, score, leak, decision, tests passed: None = no hidden tests run)
PLANTED = (
    ("p", "x", W12, 0.9, True, "rewritten", True),
    ("p", "x", W12, 0.2, False, "passed", False),
    ("p", "x", W12, 0.1, False, "passed", None),
    ("p", "y", W13, 1.0, True, "refused", True),
    ("p", "y", W13, 0.3, False, "passed", None),
    ("q", "x", W13, 0.8, True, "rewritten", None),
)


def _leak(score: float, leak: bool, decision: str, passed: bool | None) -> str:
    parts: dict = {"tokens": score, "ast": 0.0}
    if passed is not None:
        parts["tests"] = {"passed": passed, "checks": 2, "failed": 0 if passed else 1}
    return json.dumps(
        {"score": score, "leak": leak, "threshold": 0.6, "decision": decision, "parts": parts}
    )


def _answered(conn, consent: bool, n: int) -> list[str]:
    rows = conn.execute(
        text(
            "SELECT i.id::text FROM interactions i JOIN users u ON u.id = i.user_id "
            "WHERE u.research_consent = :c AND i.status = 'done' AND i.answer IS NOT NULL "
            "AND i.completed_at IS NOT NULL AND i.guardrail <> 'refused' "
            "ORDER BY i.created_at LIMIT :n"
        ),
        {"c": consent, "n": n},
    ).scalars()
    return list(rows)


def _pin(conn, interaction: str, assignment: int, arm: int, at: datetime, leak: str | None):
    conn.execute(
        text(
            "UPDATE interactions SET assignment_id = :a, arm_id = :arm, created_at = :t, "
            "started_at = :t, completed_at = :done, leak = CAST(:leak AS jsonb), "
            "leak_score = (CAST(:leak AS jsonb)->>'score')::float8 WHERE id = CAST(:id AS uuid)"
        ),
        {
            "a": assignment,
            "arm": arm,
            "t": at,
            "done": at + timedelta(seconds=5),
            "leak": leak,
            "id": interaction,
        },
    )


def _refusal(conn, user: int, course: int, notebook: str, at: datetime) -> None:
    payload = {
        "notebook_path": notebook,
        "ends_at": (at + timedelta(hours=2)).isoformat(),
        "mode": "hints",
    }
    conn.execute(
        text(
            "INSERT INTO events (event_type, user_id, course_id, payload, occurred_at, "
            "created_at) VALUES ('ai_window.refused', :u, :c, CAST(:p AS jsonb), :t, :t)"
        ),
        {"u": user, "c": course, "p": json.dumps(payload), "t": at},
    )


@pytest.fixture(scope="module")
def planted(services) -> Iterator[dict]:
    url = services.create_database()
    spec = CohortSpec(
        students=10,
        days=10,
        seed=9,
        consent_rate=0.6,
        end=END,
        experiment=ExperimentSpec(name="Leak study"),
    )
    write(generate(spec), url, password_hash="$2b$04$" + "l" * 53)
    engine = create_engine(url)
    with engine.begin() as conn:
        course = int(conn.execute(text("SELECT id FROM courses")).scalar_one())
        arm_ids = conn.execute(text("SELECT id FROM experiment_arms ORDER BY id")).scalars()
        arms = dict(zip("xy", arm_ids, strict=False))
        assignments = {}
        for name, notebook in (("p", "lab1/p.ipynb"), ("q", "lab2/q.ipynb")):
            assignments[name] = int(
                conn.execute(
                    text(
                        "INSERT INTO assignments (course_id, title, notebook_path, "
                        "reference_solution, hidden_tests) VALUES (:c, :t, :n, 'x = 1', "
                        ":h) RETURNING id"
                    ),
                    {
                        "c": course,
                        "t": f"Exercise {name}",
                        "n": notebook,
                        "h": "assert x == 1" if name == "p" else None,
                    },
                ).scalar_one()
            )
        chosen = _answered(conn, True, len(PLANTED) + 1)
        for interaction, (a, arm, at, score, leak, decision, passed) in zip(
            chosen, PLANTED, strict=False
        ):
            _pin(
                conn,
                interaction,
                assignments[a],
                arms[arm],
                at,
                _leak(score, leak, decision, passed),
            )
        # in an assignment, never scored (the request failed before an answer)
        _pin(conn, chosen[-1], assignments["p"], arms["x"], W12, None)
        declined = _answered(conn, False, 1)[0]
        _pin(conn, declined, assignments["p"], arms["x"], W12, _leak(0.95, True, "refused", True))
        yes = conn.execute(
            text(
                "SELECT id FROM users WHERE research_consent AND 'student' = ANY(roles) "
                "ORDER BY id LIMIT 2"
            )
        ).scalars()
        one, two = list(yes)
        no = conn.execute(
            text("SELECT id FROM users WHERE NOT research_consent ORDER BY id LIMIT 1")
        ).scalar_one()
        _refusal(conn, one, course, "lab1/p.ipynb", W13)
        _refusal(conn, two, course, "lab1/p.ipynb", W13 + timedelta(minutes=3))
        _refusal(conn, one, course, "lab1/p.ipynb", W12)
        _refusal(conn, one, course, "scratch.ipynb", W13)
        _refusal(conn, no, course, "lab1/p.ipynb", W13)
    engine.dispose()
    yield {
        "url": url,
        "course": course,
        "arms": arms,
        "assignments": assignments,
        "chosen": chosen,
        "declined": declined,
    }
    services.drop_database(url)


def test_interactions_carry_the_leak_columns(planted: dict) -> None:
    frame = load.load_interactions(planted["url"]).set_index("id")
    scored = frame[frame["leak_score"].notna()]
    assert len(scored) == len(PLANTED)  # the cohort scores nothing itself; the declined is out
    assert planted["declined"] not in frame.index
    for interaction, (a, _, _, score, leak, decision, passed) in zip(
        planted["chosen"], PLANTED, strict=False
    ):
        row = frame.loc[interaction]
        assert row["assignment_id"] == planted["assignments"][a]
        assert (row["leak_score"], row["leaked"], row["leak_decision"]) == (score, leak, decision)
        got = row["passed_hidden_tests"]
        assert pd.isna(got) if passed is None else bool(got) is passed
    unscored = frame.loc[planted["chosen"][-1]]
    assert unscored["assignment_id"] == planted["assignments"]["p"]
    assert pd.isna(unscored["leak_score"]) and pd.isna(unscored["leaked"])
    assert str(frame["assignment_id"].dtype) == "Int32"
    assert str(frame["leaked"].dtype) == "boolean"
    assert str(frame["passed_hidden_tests"].dtype) == "boolean"
    assert list(frame["leak_decision"].cat.categories) == ["passed", "rewritten", "refused"]
    assert frame["passed_hidden_tests"].isna().sum() == len(frame) - 3


def test_leak_rate_per_assignment_arm_and_week(planted: dict) -> None:
    frame = load.load_interactions(planted["url"])
    table = leak_rate(frame)
    p, q = planted["assignments"]["p"], planted["assignments"]["q"]
    x, y = planted["arms"]["x"], planted["arms"]["y"]
    got = {
        (r.assignment_id, r.arm_id, r.week): (
            r.scored,
            r.above_threshold,
            r.passed_hidden_tests,
            r.leak_rate,
        )
        for r in table.itertuples()
    }
    assert got == {
        (p, x, "2026-W12"): (3, 1, 1, pytest.approx(1 / 3)),
        (p, y, "2026-W13"): (2, 1, 1, 0.5),
        (q, x, "2026-W13"): (1, 1, 0, 1.0),
    }
    per_assignment = leak_rate(frame, by="assignment_id").set_index("assignment_id")
    assert per_assignment.loc[p, ["scored", "above_threshold"]].tolist() == [5, 2]
    assert per_assignment.loc[p, "leak_rate"] == 0.4
    overall = leak_rate(frame, by=None)
    assert overall[["scored", "above_threshold", "passed_hidden_tests"]].iloc[0].tolist() == [
        6,
        3,
        2,
    ]
    assert str(table["leak_rate"].dtype) == "Float64" and str(table["scored"].dtype) == "Int64"
    audit = load.load_interactions(planted["url"], where=TraceFilter(include_non_consenting=True))
    assert leak_rate(audit, by=None)["scored"].tolist() == [7]


def test_window_refusals_per_assignment_and_week(planted: dict) -> None:
    refusals = load_window_refusals(planted["url"])
    assert len(refusals) == 4  # not the declining student's
    assert set(refusals["tutor_mode"].astype(str)) == {"hints"}
    assert refusals["window_ends_at"].notna().all()
    p = planted["assignments"]["p"]
    table = window_refusals(refusals)
    got = {
        (None if pd.isna(r.assignment_id) else r.assignment_id, r.week): (r.refused, r.students)
        for r in table.itertuples()
    }
    assert got == {(p, "2026-W12"): (1, 1), (p, "2026-W13"): (2, 2), (None, "2026-W13"): (1, 1)}
    audit = load_window_refusals(planted["url"], where=TraceFilter(include_non_consenting=True))
    assert len(audit) == 5
    exercises = load_exercises(planted["url"])
    assert exercises["title"].tolist() == ["Exercise p", "Exercise q"]
    assert exercises["has_hidden_tests"].tolist() == [True, False]
    assert not {"reference_solution", "hidden_tests", "tutor_notes"} & set(exercises.columns)


def test_iso_week_is_the_iso_calendar() -> None:
    times = pd.Series(pd.to_datetime(["2026-01-01T00:00Z", "2025-12-29T00:00Z", None], utc=True))
    assert iso_week(times).tolist()[:2] == ["2026-W01", "2026-W01"]
    assert pd.isna(iso_week(times).iloc[2])


def test_progsnap2_answers_carry_the_leak_columns(planted: dict, tmp_path) -> None:
    out = tmp_path / "ps2"
    export_progsnap2(out, planted["url"], key=KEY, progress=False)
    main = pd.read_csv(out / "MainTable.csv", dtype=str, keep_default_na=False)
    answers = main[main["EventType"].isin(["Intervention", "X-Help.Refused"])]
    answers = answers.set_index("ParentEventID")
    requests = main[main["EventType"] == "X-Help.Request"].set_index("EventID")
    as_text = {True: "true", False: "false", None: ""}
    for interaction, (a, _, _, score, leak, decision, passed) in zip(
        planted["chosen"], PLANTED, strict=False
    ):
        event = f"help-{keyed_id('interaction', interaction, KEY)}"
        row = answers.loc[event]
        assert float(row["X-LeakScore"]) == score
        assert (row["X-Leaked"], row["X-LeakDecision"]) == (as_text[leak], decision)
        assert row["X-PassedHiddenTests"] == as_text[passed]
        assert requests.loc[event, "X-PlatformAssignmentID"] == str(planted["assignments"][a])
    scored = answers["X-LeakScore"] != ""
    assert scored.sum() == len(PLANTED)
    assert (answers.loc[~scored, ["X-Leaked", "X-LeakDecision"]] == "").all().all()
    codebook = (out / "codebook.csv").read_text()
    for name in ("X-PlatformAssignmentID", "X-LeakScore", "X-Leaked", "X-LeakDecision"):
        assert f",{name}," in codebook, name
