"""The loaders' one filter type: values normalised, fields a loader cannot apply refused."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from analytics import load
from analytics.trace_filter import TraceFilter


def test_single_values_and_generators_become_tuples() -> None:
    where = TraceFilter(courses="DEMO101", user_ids=(u for u in [3, 4]), experiments=[7])
    assert where.courses == ("DEMO101",)
    assert where.user_ids == (3, 4)
    assert where.experiments == (7,)
    assert TraceFilter(courses=12).courses == (12,)
    assert where.set_fields() == {"courses", "user_ids", "experiments"}
    assert TraceFilter() == TraceFilter(courses=None) and hash(where) == hash(where)


def test_clauses_bind_every_value() -> None:
    where = TraceFilter(courses=[1, "CS"], since="2026-03-01", event_types=["cell.executed"])
    joins, clause, params = where.clauses(time_column="occurred_at", recorded_column="created_at")
    assert joins == "JOIN users u ON u.id = x.user_id"
    assert "x.created_at >= p.since" in clause  # consent judged at the server's time
    assert "x.occurred_at >= %(since)s" in clause and "%(until)s" not in clause
    assert params == {
        "course_ids": [1],
        "course_codes": ["CS"],
        "since": pd.Timestamp("2026-03-01", tz="UTC"),  # naive bounds are UTC
        "event_types": ["cell.executed"],
    }
    aware = datetime.fromisoformat("2026-03-01T10:00:00+02:00")
    assert TraceFilter(until=aware).clauses(time_column="t")[2] == {"until": aware}
    audit = TraceFilter(include_non_consenting=True).clauses(time_column="created_at")
    assert audit[1] == "TRUE"
    assert TraceFilter().clauses(consent=False)[1:] == ("TRUE", {})


@pytest.mark.parametrize(
    ("loader", "where", "refused"),
    [
        (load.load_deadlines, TraceFilter(since="2026-03-01"), "since"),
        (load.load_experiments, TraceFilter(user_ids=[1]), "user_ids"),
        (load.load_interactions, TraceFilter(event_types=["cell.executed"]), "event_types"),
        (load.load_sessions, TraceFilter(experiments=[1]), "experiments"),
        (load.load_enrolments, TraceFilter(until="2026-03-01"), "until"),
        (
            load.load_assignments,
            TraceFilter(since="2026-03-01", until="2026-04-01"),
            "since, until",
        ),
    ],
)
def test_a_loader_refuses_what_it_cannot_apply(loader, where: TraceFilter, refused: str) -> None:
    with pytest.raises(ValueError, match=f"{loader.__name__} cannot filter by {refused}$"):
        loader("postgresql://never-reached/", where=where)
