"""Property: any small cohort's ProgSnap2 MainTable and CodeStates, written as the export
writes them, read back identically, whatever text students typed (quotes, commas, newlines,
carriage returns, 'NA', non-Latin scripts), and with one row per source event.

The frames are built by hand in the loaders' shape (analytics.load), so no database runs:
build_main_table is the pure part of the export.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.progsnap2 import CSV_OPTIONS, build_main_table

# What PostgreSQL can hold: any character but NUL and lone surrogates; plus CSV's hard cases.
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
    st.sampled_from(['a "quoted", line', "two\nlines", "cr\ronly", "NA", "", " ", "null", "∑ü"]),
)
T0 = datetime(2026, 3, 1, tzinfo=UTC)
TIMES = st.integers(min_value=0, max_value=10_000).map(lambda s: T0 + timedelta(seconds=s))
USERS = st.integers(min_value=1, max_value=4)
COURSES = st.none() | st.integers(min_value=1, max_value=2)
MODES = st.sampled_from(["socratic", "hints"])


@st.composite
def cohort(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n_sessions = draw(st.integers(0, 3))
    sessions = pd.DataFrame(
        {
            "id": pd.array(
                [f"00000000-0000-4000-8000-{i:012d}" for i in range(n_sessions)], dtype="string"
            ),
            "user_id": pd.array([draw(USERS) for _ in range(n_sessions)], dtype="Int64"),
            "course_id": pd.array([draw(COURSES) for _ in range(n_sessions)], dtype="Int64"),
            "client": "notebook",
            "started_at": pd.to_datetime([draw(TIMES) for _ in range(n_sessions)], utc=True),
            "ended_at": pd.to_datetime(
                [draw(st.none() | TIMES) for _ in range(n_sessions)], utc=True
            ),
        }
    )
    runs = draw(st.lists(st.tuples(USERS, COURSES, TIMES, TEXT, st.booleans(), TEXT), max_size=5))
    error_types = [draw(st.sampled_from([None, "SyntaxError", "NameError"])) for _ in runs]
    events = pd.DataFrame(
        {
            "id": pd.array(range(1, len(runs) + 1), dtype="Int64"),
            "event_type": "cell.executed",
            "user_id": pd.array([r[0] for r in runs], dtype="Int64"),
            "session_id": pd.array([None] * len(runs), dtype="string"),
            "course_id": pd.array([r[1] for r in runs], dtype="Int64"),
            "notebook_path": pd.array(["week1.ipynb"] * len(runs), dtype="string"),
            "cell_id": pd.array(["c1"] * len(runs), dtype="string"),
            "occurred_at": pd.to_datetime([r[2] for r in runs], utc=True),
            "created_at": pd.to_datetime([r[2] + timedelta(seconds=1) for r in runs], utc=True),
            # a student's cell (the tutor's own cells are left out of the export)
            "code": pd.array(["x = 1\n" + r[3] for r in runs], dtype="string"),
            "success": pd.array(
                [r[4] and e is None for r, e in zip(runs, error_types, strict=True)], "boolean"
            ),
            "error_type": pd.array(error_types, dtype="string"),
            "error_message": pd.array([r[5] for r in runs], dtype="string"),
        }
    )
    asks = draw(st.lists(st.tuples(USERS, COURSES, TIMES, TEXT, TEXT, st.booleans()), max_size=5))
    interactions = pd.DataFrame(
        {
            "id": pd.array(
                [f"10000000-0000-4000-8000-{i:012d}" for i in range(len(asks))], dtype="string"
            ),
            "user_id": pd.array([a[0] for a in asks], dtype="Int64"),
            "session_id": pd.array([None] * len(asks), dtype="string"),
            "course_id": pd.array([a[1] for a in asks], dtype="Int64"),
            "turn": pd.array([1] * len(asks), dtype="Int16"),
            "notebook_path": pd.array(["week1.ipynb"] * len(asks), dtype="string"),
            "cell_id": pd.array(["c1"] * len(asks), dtype="string"),
            "mode": pd.array([draw(MODES) for _ in asks], dtype="string"),
            "status": pd.array(["done" if a[5] else "error" for a in asks], dtype="string"),
            "policy_version": pd.array([1] * len(asks), dtype="Int32"),
            "arm_id": pd.array([None] * len(asks), dtype="Int32"),
            "classification": pd.array(["debugging" for _ in asks], dtype="string"),
            "guardrail": pd.array(["passed" for _ in asks], dtype="string"),
            "created_at": pd.to_datetime([a[2] for a in asks], utc=True),
            "started_at": pd.to_datetime([a[2] for a in asks], utc=True),
            "completed_at": pd.to_datetime(
                [a[2] + timedelta(seconds=5) if a[5] else None for a in asks], utc=True
            ),
            "prompt": pd.array([a[3] for a in asks], dtype="string"),
            "answer": pd.array([a[4] if a[5] else None for a in asks], dtype="string"),
            "context": pd.array([json.dumps({"code": a[3]}) for a in asks], dtype="string"),
            "helpful": pd.array([draw(st.none() | st.booleans()) for _ in asks], "boolean"),
            "score": pd.array([draw(st.none() | st.integers(1, 5)) for _ in asks], "Int16"),
        }
    )
    return sessions, events, interactions


def as_written(frame: pd.DataFrame) -> pd.DataFrame:
    """What a reader expects back: every cell as text, missing values as empty strings."""
    return frame.astype("string").fillna("").astype(object).reset_index(drop=True)


@given(frames=cohort())
@settings(max_examples=25, deadline=None)
def test_any_small_cohort_exports_and_reads_back_identically(frames: Any) -> None:
    sessions, events, interactions = frames
    main, code_states, _ = build_main_table(sessions, events, interactions, key="k")
    syntax = int(events["error_type"].isin(["SyntaxError"]).sum())
    answered = int(interactions["answer"].notna().sum())
    counts = main["EventType"].value_counts()
    assert counts.get("Session.Start", 0) == len(sessions)
    assert counts.get("Session.End", 0) == int(sessions["ended_at"].notna().sum())
    assert counts.get("Compile", 0) == len(events)  # one per run, success or not
    assert counts.get("Compile.Error", 0) == syntax
    assert counts.get("Run.Program", 0) == len(events) - syntax
    assert counts.get("X-Help.Request", 0) == len(interactions)
    assert counts.get("Intervention", 0) == answered
    assert counts.get("X-Help.Failed", 0) == len(interactions) - answered
    assert list(main["Order"]) == list(range(1, len(main) + 1))
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in (("MainTable.csv", main), ("CodeStates.csv", code_states)):
            path = Path(tmp) / name
            frame.to_csv(path, **CSV_OPTIONS)  # as export_progsnap2 writes them
            back = pd.read_csv(path, dtype=str, keep_default_na=False)
            pd.testing.assert_frame_equal(back, as_written(frame), check_dtype=False)
