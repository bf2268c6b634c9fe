"""The ProgSnap2 export of a seeded cohort, read back and checked against the spec."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from ainative.cli import main as cli_main
from analytics.progsnap2 import pseudonym
from analytics.synth import CohortSpec, generate, write

pytestmark = pytest.mark.integration

REQUIRED = ("EventType", "EventID", "SubjectID", "ToolInstances", "CodeStateID")
KEY = "test-pseudonym-key"


@pytest.fixture
def exported(fresh_database_url: str, tmp_path: Path, monkeypatch) -> Iterator[dict]:
    spec = CohortSpec(
        students=15, days=8, seed=11, consent_rate=0.6, end=datetime(2026, 4, 1, tzinfo=UTC)
    )
    write(generate(spec), fresh_database_url, password_hash="$2b$04$" + "y" * 53)
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        users = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM users"))]
        ratings = {
            f"answer-{r.id}": (r.helpful, r.score)
            for r in conn.execute(text("SELECT id, helpful, score FROM interactions"))
        }
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("PSEUDONYM_KEY", KEY)
    from ainative.config import get_settings

    get_settings.cache_clear()
    out = tmp_path / "ps2"
    try:
        assert cli_main(["export", "progsnap2", "--out", str(out), "--course", "DEMO101"]) == 0
        main = pd.read_csv(out / "MainTable.csv", dtype=str, keep_default_na=False)
        yield {"out": out, "main": main, "users": users, "ratings": ratings}
    finally:
        get_settings.cache_clear()  # before monkeypatch restores the environment


def test_required_columns_present_and_filled(exported: dict) -> None:
    main = exported["main"]
    for column in REQUIRED + (
        "Order",
        "ServerTimestamp",
        "ServerTimezone",
        "CourseID",
        "SessionID",
        "ParentEventID",
        "EventInitiator",
        "InterventionCategory",
        "InterventionType",
        "InterventionMessage",
    ):
        assert column in main.columns, column
    for column in REQUIRED + ("Order", "ServerTimestamp"):
        assert (main[column] != "").all(), column
    assert main["EventID"].is_unique
    assert set(main["EventType"]) >= {
        "Session.Start",
        "Session.End",
        "Run.Program",
        "X-Help.Request",
        "Intervention",
        "Compile.Error",
    }
    assert set(main["CourseID"]) == {"DEMO101"}


def test_order_is_consistent_with_timestamps(exported: dict) -> None:
    main = exported["main"]
    order = main["Order"].astype(int)
    assert sorted(order) == list(range(1, len(main) + 1))
    stamps = pd.to_datetime(main["ServerTimestamp"], format="ISO8601").to_numpy()
    by_order = stamps[order.argsort().to_numpy()]
    assert (by_order[1:] >= by_order[:-1]).all()


def test_interventions_point_at_existing_help_requests(exported: dict) -> None:
    main = exported["main"]
    interventions = main[main["EventType"] == "Intervention"]
    assert len(interventions) > 0
    types = main.set_index("EventID")["EventType"]
    assert interventions["ParentEventID"].isin(types.index).all()
    assert (types[interventions["ParentEventID"]] == "X-Help.Request").all()
    assert set(interventions["InterventionCategory"]) <= {"Hint", "Feedback"}
    assert (interventions["InterventionMessage"] != "").all()
    parents = main.set_index("EventID").loc[interventions["ParentEventID"], "Order"].astype(int)
    assert (interventions["Order"].astype(int).to_numpy() > parents.to_numpy()).all()
    errors = main[main["EventType"] == "Compile.Error"]
    assert errors["ParentEventID"].isin(types.index).all()
    failed = main[(main["EventType"] == "Run.Program") & (main["ExecutionResult"] == "Error")]
    assert len(failed) > 0 and (failed["ProgramErrorOutput"] != "").all()


def test_subjects_are_pseudonymous_and_consenting_only(exported: dict) -> None:
    main, users = exported["main"], exported["users"]
    subjects = set(main["SubjectID"])
    identifiers = {str(u["id"]) for u in users} | {u["username"] for u in users}
    identifiers |= {u["email"] for u in users}
    assert not subjects & identifiers
    consenting = {pseudonym(u["id"], KEY) for u in users if u["research_consent"]}
    refusing = {pseudonym(u["id"], KEY) for u in users if not u["research_consent"]}
    assert refusing and subjects <= consenting
    assert not subjects & refusing
    raw = (exported["out"] / "MainTable.csv").read_text()
    assert not any(u["username"] in raw for u in users)


def test_code_states_and_metadata(exported: dict) -> None:
    out, main = exported["out"], exported["main"]
    codes = pd.read_csv(out / "CodeStates" / "CodeStates.csv", dtype=str, keep_default_na=False)
    assert list(codes.columns) == ["CodeStateID", "Code"]
    assert codes["CodeStateID"].is_unique
    assert set(main["CodeStateID"]) <= set(codes["CodeStateID"])
    assert codes["Code"].str.contains("\n").any()
    meta = pd.read_csv(out / "DatasetMetadata.csv", dtype=str, keep_default_na=False)
    values = dict(zip(meta["Property"], meta["Value"], strict=True))
    assert values["CodeStateRepresentation"] == "Table"
    assert values["IsEventOrderingConsistent"] == "true"


def test_both_rating_scales_are_exported_apart(exported: dict) -> None:
    main, ratings = exported["main"], exported["ratings"]
    interventions = main[main["EventType"] == "Intervention"].set_index("EventID")
    as_text = {True: "true", False: "false", None: ""}
    expected = {
        event: (as_text[helpful], "" if score is None else str(score))
        for event, (helpful, score) in ratings.items()
        if event in interventions.index
    }
    assert len(expected) == len(interventions)
    assert interventions[["X-Helpful", "X-Score"]].apply(tuple, axis=1).to_dict() == expected
    helpful, score = interventions["X-Helpful"], interventions["X-Score"]
    assert set(helpful) == {"", "true", "false"}
    assert set(score) - {""} <= {"1", "2", "3", "4", "5"} and (score != "").any()
    assert ((helpful != "") & (score != "")).any()  # both scales on one answer
    assert ((helpful != "") & (score == "")).any() and ((helpful == "") & (score != "")).any()
    others = main[main["EventType"] != "Intervention"]
    assert (others["X-Helpful"] == "").all() and (others["X-Score"] == "").all()
    assert "X-Rating" not in main.columns
