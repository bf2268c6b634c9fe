"""The researcher notebooks run top to bottom on a seeded database and draw their figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from sqlalchemy import create_engine, text

from analytics import load
from analytics.synth import ArmSpec, CohortSpec, ExperimentSpec, generate
from analytics.synth_write import write

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks" / "analytics"
EXPECTED_FIGURES = {"overview.ipynb": 5, "help_seeking.ipynb": 7, "operations.ipynb": 3}
REPORT, REPORT_FIGURES = "experiment_report.ipynb", 6
# The planted effect: P(next run succeeds | an answer) per arm; an A/A pair and a real one.
ARMS = (
    ArmSpec("standard", 0.6),
    ArmSpec("standard-copy", 0.6),
    ArmSpec("prompt-b", 0.8, {"prompt_variant": "b"}),
)
PASSWORD_HASH = "$2b$04$" + "z" * 53


@pytest.fixture(scope="module")
def seeded_url(services) -> str:
    url = services.create_database("nb")
    spec = CohortSpec(students=40, days=21, seed=5, end=datetime(2026, 5, 1, tzinfo=UTC))
    write(generate(spec), url, password_hash=PASSWORD_HASH)
    yield url
    services.drop_database(url)


@pytest.fixture(scope="module")
def experiment_url(services) -> str:
    """A course whose experiment has a known planted effect (students assigned in balance)."""
    url = services.create_database("nbx")
    spec = CohortSpec(
        students=90,
        days=14,
        seed=11,
        course_code="EXP101",
        end=datetime(2026, 5, 1, tzinfo=UTC),
        experiment=ExperimentSpec(name="prompt-b-trial", arms=ARMS),
    )
    write(generate(spec), url, password_hash=PASSWORD_HASH)
    yield url
    services.drop_database(url)


def test_every_notebook_is_tested() -> None:
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} == {*EXPECTED_FIGURES, REPORT}


def _execute(name: str, url: str, monkeypatch, output_dir, extra: str = "") -> list:
    """Run the notebook (plus an `extra` cell) against `url`; its code cells' outputs."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    if extra:
        book.cells.append(nbformat.v4.new_code_cell(extra))
    client = NotebookClient(
        book, kernel_name="python3", timeout=240, resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    nbformat.write(book, output_dir / f"executed-{name}")
    outputs = [o for cell in book.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    return outputs


def _images(outputs: list) -> list:
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert all(len(o["data"]["image/png"]) > 1000 for o in images)
    return images


@pytest.mark.parametrize("name", sorted(EXPECTED_FIGURES))
def test_notebook_runs_and_draws(name: str, seeded_url: str, monkeypatch, output_dir) -> None:
    outputs = _execute(name, seeded_url, monkeypatch, output_dir)
    assert len(_images(outputs)) == EXPECTED_FIGURES[name]


def test_experiment_report_recovers_the_planted_effect(
    experiment_url: str, monkeypatch, output_dir
) -> None:
    """The report's interval for the planted difference holds the truth and excludes 0;
    the A/A pair's interval holds 0."""
    marker = "COMPARISONS="
    extra = f"print({marker!r} + comparisons.to_json(orient='records'))"
    outputs = _execute(REPORT, experiment_url, monkeypatch, output_dir, extra)
    assert len(_images(outputs)) == REPORT_FIGURES
    printed = [o["text"] for o in outputs if o.output_type == "stream" and marker in o["text"]]
    rows = json.loads(printed[-1].split(marker, 1)[1])
    success = {r["arm"]: r for r in rows if r["outcome"] == "next run succeeds"}
    assert {r["reference"] for r in success.values()} == {"standard"}
    planted = ARMS[2].next_run_success - ARMS[0].next_run_success  # 0.2
    real, null = success["prompt-b"], success["standard-copy"]
    assert real["ci_low"] <= planted <= real["ci_high"]
    assert real["ci_low"] > 0  # and the report does detect it
    assert real["effect"] == "cohens_h" and real["effect_size"] > 0.2
    assert null["ci_low"] <= 0 <= null["ci_high"]
    assert real["level"] == pytest.approx(1 - 0.05 / 8)  # 4 outcomes x 2 pairs, Bonferroni
    outcomes = {r["outcome"] for r in rows}
    assert outcomes == {
        "next run succeeds",
        "time to fix (median s)",
        "help abuse",
        "help avoidance",
    }


def test_experiment_loaders_respect_consent_during_the_experiment(experiment_url: str) -> None:
    arms = load.load_experiments(experiment_url, where=load.TraceFilter(courses="EXP101"))
    assert arms["arm"].astype(str).tolist() == [a.name for a in ARMS]
    assert json.loads(arms["policy"].iloc[2]) == {"prompt_variant": "b"}
    assert max(arms["assigned"]) - min(arms["assigned"]) <= 1  # balanced
    everyone = load.load_assignments(
        experiment_url, where=load.TraceFilter(include_non_consenting=True)
    )
    assert len(everyone) == arms["assigned"].sum()
    engine = create_engine(experiment_url)
    with engine.connect() as conn:
        consenting = set(
            conn.execute(text("SELECT id FROM users WHERE research_consent")).scalars()
        )
    visible = load.load_assignments(experiment_url, where=load.TraceFilter(courses="EXP101"))
    assert set(visible["user_id"]) == set(everyone["user_id"]) & consenting
    assert len(visible) < len(everyone)
    interactions = load.load_interactions(experiment_url, where=load.TraceFilter(courses="EXP101"))
    assert interactions["policy_version"].eq(1).all()
    assert interactions["prompt_version"].astype(str).eq("v1").all()
    arm_of = dict(zip(visible["user_id"], visible["arm_id"], strict=True))
    assert interactions["arm_id"].tolist() == interactions["user_id"].map(arm_of).tolist()
    # A student who did not consent when assigned but consented later keeps the assignment
    # (intention to treat, issue 26); each interaction is still judged when recorded.
    student, assigned_at = visible.iloc[0]["user_id"], visible.iloc[0]["assigned_at"]
    records = [(False, assigned_at - timedelta(days=1)), (True, assigned_at + timedelta(hours=1))]
    try:
        with engine.begin() as conn:
            for given, at in records:
                conn.execute(
                    text(
                        "INSERT INTO consent_records (user_id, given, recorded_at) "
                        "VALUES (:u, :g, :t)"
                    ),
                    {"u": int(student), "g": given, "t": at},
                )
        after = load.load_assignments(experiment_url, where=load.TraceFilter(courses="EXP101"))
        assert student in set(after["user_id"]) and len(after) == len(visible)
        theirs = load.load_interactions(
            experiment_url, where=load.TraceFilter(user_ids=[int(student)])
        )
        assert len(theirs) and (theirs["created_at"] >= assigned_at + timedelta(hours=1)).all()
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM consent_records WHERE user_id = :u"), {"u": int(student)}
            )
        engine.dispose()
