"""The binary COPY path gives exactly the frame the CSV path gives, NULLs included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from analytics import load, pgbinary
from analytics.pgcopy import copy_frame
from analytics.synth import CohortSpec, generate
from analytics.synth_write import write

NULLABLE = (
    "session_id course_id provider model classification guardrail prompt_tokens "
    "completion_tokens queue_ms llm_ms total_ms helpful score answer started_at completed_at "
    "rated_at"
).split()


@pytest.fixture
def url(fresh_database_url: str) -> str:
    spec = CohortSpec(
        students=8, days=4, seed=3, consent_rate=1.0, end=datetime(2026, 3, 1, tzinfo=UTC)
    )
    write(generate(spec), fresh_database_url, password_hash="$2b$04$" + "x" * 53)
    engine = create_engine(fresh_database_url)
    first = "(SELECT min(id::text)::uuid FROM interactions)"
    last = "(SELECT max(id::text)::uuid FROM interactions)"
    nulls = ", ".join(f"{c} = NULL" for c in NULLABLE)
    with engine.begin() as conn:  # one row NULL wherever it may be, one odd provider name
        conn.execute(text(f"UPDATE interactions SET {nulls} WHERE id = {first}"))
        conn.execute(text(f"UPDATE interactions SET provider = 'o''brien' WHERE id = {last}"))
    engine.dispose()
    return fresh_database_url


def test_binary_and_csv_paths_agree(url: str) -> None:
    joins, where, params = load.TraceFilter().clauses(time_column="created_at")
    columns = load.INTERACTION_COLUMNS
    sql = f"{load.select_sql(columns, 'interactions', joins)} WHERE {where}"
    wire = f"{load.select_sql(columns, 'interactions', joins, wire=True)} WHERE {where}"
    kwargs = {"order_by": ["created_at"], "partition": load.UUID_PARTITION}
    binary = copy_frame(sql, params, columns, url, workers=2, wire_sql=wire, **kwargs)
    csv = copy_frame(sql, params, columns, url, multiline=True, workers=2, **kwargs)
    assert binary["created_at"].is_monotonic_increasing
    assert binary["session_id"].isna().any() and binary["rated_at"].isna().any()
    assert "o'brien" in binary["provider"].cat.categories
    ties = ["created_at", "id"]
    pd.testing.assert_frame_equal(
        binary.sort_values(ties, ignore_index=True), csv.sort_values(ties, ignore_index=True)
    )


def test_uuid_text_matches_python() -> None:
    ids = [uuid.uuid4() for _ in range(50)] + [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]
    raw = np.frombuffer(b"".join(u.bytes for u in ids), "V16")
    null = np.zeros(len(ids), bool)
    null[3] = True
    text_ids = pgbinary._uuid_text(raw, null).to_pylist()
    assert text_ids == [None if k == 3 else str(u) for k, u in enumerate(ids)]
