"""Loaders on a seeded database: dtypes, filters, and consent."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from ainative.course.event_types import CELL_EXECUTED
from analytics import load
from analytics.synth import CohortSpec, generate
from analytics.synth_write import write

END = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def seeded(fresh_database_url: str) -> dict:
    spec = CohortSpec(students=12, days=6, seed=7, consent_rate=0.6, end=END)
    cohort = generate(spec)
    counts = write(cohort, fresh_database_url, password_hash="$2b$04$" + "x" * 53)
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        consent = dict(conn.execute(text("SELECT id, research_consent FROM users")).all())
    engine.dispose()
    return {"url": fresh_database_url, "counts": counts, "consent": consent}


def test_interaction_dtypes(seeded: dict) -> None:
    frame = load.load_interactions(seeded["url"])
    assert len(frame) > 0
    for column in ("created_at", "started_at", "completed_at", "rated_at"):
        assert isinstance(frame[column].dtype, pd.DatetimeTZDtype)
        assert str(frame[column].dt.tz) == "UTC"
    for column in ("mode", "status", "classification", "guardrail"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype)
    assert list(frame["status"].cat.categories) == ["queued", "running", "done", "error"]
    assert str(frame["user_id"].dtype) == "Int64"
    assert str(frame["score"].dtype) == "Int16" and frame["score"].isna().any()
    assert set(frame["score"].dropna()) <= {1, 2, 3, 4, 5}
    assert str(frame["helpful"].dtype) == "boolean" and frame["helpful"].isna().any()
    assert set(frame["helpful"].dropna()) == {True, False}
    assert str(frame["total_ms"].dtype) == "Int32"
    assert str(frame["cache_hit"].dtype) == "boolean"
    assert frame["created_at"].is_monotonic_increasing
    assert "prompt" not in frame.columns
    text_frame = load.load_interactions(seeded["url"], include_text=True)
    assert text_frame["prompt"].notna().all() and len(text_frame) == len(frame)


def test_event_and_session_dtypes(seeded: dict) -> None:
    events = load.load_events(
        seeded["url"], where=load.TraceFilter(event_types=[CELL_EXECUTED]), include_text=True
    )
    assert set(events["event_type"].unique()) == {"cell.executed"}
    assert str(events["success"].dtype) == "boolean" and (~events["success"]).any()
    assert str(events["execution_count"].dtype) == "Int32"
    assert isinstance(events["occurred_at"].dtype, pd.DatetimeTZDtype)
    assert events.loc[~events["success"], "error_type"].notna().all()
    assert events["code"].str.contains("\n").any()  # multi-line code survives the CSV
    sessions = load.load_sessions(seeded["url"])
    assert isinstance(sessions["ended_at"].dtype, pd.DatetimeTZDtype)
    assert (sessions["ended_at"] >= sessions["started_at"]).all()
    deadlines = load.load_deadlines(seeded["url"], where=load.TraceFilter(courses="DEMO101"))
    assert len(deadlines) >= 1 and str(deadlines["deadline"].dt.tz) == "UTC"


def test_non_consenting_students_are_excluded(seeded: dict) -> None:
    consent = seeded["consent"]
    refusing = {uid for uid, ok in consent.items() if not ok}
    assert refusing, "the seed must include students without consent"
    for loader in (load.load_interactions, load.load_events, load.load_sessions):
        frame = loader(seeded["url"])
        assert not set(frame["user_id"].dropna().astype(int)) & refusing, loader.__name__
        audit = loader(seeded["url"], where=load.TraceFilter(include_non_consenting=True))
        assert set(audit["user_id"].dropna().astype(int)) & refusing, loader.__name__
        assert len(audit) > len(frame)
    enrolled = load.load_enrolments(seeded["url"])
    assert enrolled["research_consent"].all() and set(enrolled["role"]) == {"student"}


def test_filters(seeded: dict) -> None:
    url, only = seeded["url"], load.TraceFilter
    everything = load.load_interactions(url)
    assert len(load.load_interactions(url, where=only(courses="NOPE"))) == 0
    assert len(load.load_interactions(url, where=only(courses=["DEMO101"]))) == len(everything)
    course_id = int(everything["course_id"].iloc[0])
    assert len(load.load_interactions(url, where=only(courses=course_id))) == len(everything)
    cut = everything["created_at"].iloc[len(everything) // 2]
    before = load.load_interactions(url, where=only(until=cut))
    after = load.load_interactions(url, where=only(since=cut))
    assert len(before) + len(after) == len(everything)
    assert (before["created_at"] < cut).all() and (after["created_at"] >= cut).all()
    naive = load.load_interactions(url, where=only(since=cut.tz_convert(None).to_pydatetime()))
    assert len(naive) == len(after)  # naive bounds are read as UTC
    one = int(everything["user_id"].iloc[0])
    mine = load.load_interactions(url, where=only(user_ids=[one]))
    assert len(mine) > 0 and set(mine["user_id"]) == {one}


def test_loader_accepts_an_engine(seeded: dict) -> None:
    engine = create_engine(seeded["url"])
    try:
        assert len(load.load_sessions(engine)) == len(load.load_sessions(seeded["url"]))
    finally:
        engine.dispose()


def test_parallel_copy_gives_the_same_frame(seeded: dict) -> None:
    from analytics.pgcopy import copy_frame

    joins, where, params = load.TraceFilter().clauses(time_column="created_at")
    sql = f"{load.select_sql(load.INTERACTION_COLUMNS, 'interactions', joins)} WHERE {where}"
    kwargs = {"order_by": ["created_at", "id"], "partition": load.UUID_PARTITION}
    one = copy_frame(sql, params, load.INTERACTION_COLUMNS, seeded["url"], workers=1, **kwargs)
    three = copy_frame(sql, params, load.INTERACTION_COLUMNS, seeded["url"], workers=3, **kwargs)
    assert len(one) > 0
    pd.testing.assert_frame_equal(one, three)


def test_events_carry_the_error_line_and_the_tutors_cells(seeded: dict) -> None:
    """error_line from the payload; tutor_cell from the recorder's flag or, for rows recorded
    before it, from the cell's first line (the rule of ainative.notebook.capture)."""
    engine = create_engine(seeded["url"])
    with engine.begin() as conn:
        user = conn.execute(text("SELECT id FROM users WHERE research_consent LIMIT 1")).scalar()
        for payload in (
            '{"code": "%tutor", "success": true}',
            '{"code": "  %load_ext ainative.notebook", "success": true}',
            '{"code": "TutorWidget()", "success": true, "tutor_cell": true}',
            '{"code": "print(x)", "success": false, "error_type": "NameError", "error_line": 1}',
        ):
            conn.execute(
                text(
                    "INSERT INTO events (event_type, user_id, occurred_at, payload) "
                    "VALUES ('cell.executed', :u, :t, CAST(:p AS jsonb))"
                ),
                {"u": user, "t": END, "p": payload},
            )
    engine.dispose()
    events = load.load_events(seeded["url"], where=load.TraceFilter(user_ids=[user]))
    mine = events[events["occurred_at"] == END].sort_values("id")
    assert mine["tutor_cell"].tolist() == [True, True, True, False]
    assert mine["error_line"].tolist()[-1] == 1 and str(mine["error_line"].dtype) == "Int32"
    assert not events.loc[events["occurred_at"] < END, "tutor_cell"].any()
    # the synthetic cohort's runs before a first question carry no tutor session
    runs = load.load_events(seeded["url"], where=load.TraceFilter(event_types=[CELL_EXECUTED]))
    assert runs["session_id"].isna().any() and runs["session_id"].notna().any()
