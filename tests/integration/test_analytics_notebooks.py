"""The researcher notebooks run top to bottom on a seeded database and draw their figures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from analytics.synth import CohortSpec, generate, write

pytestmark = pytest.mark.integration

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks" / "analytics"
EXPECTED_FIGURES = {"overview.ipynb": 5, "help_seeking.ipynb": 5, "operations.ipynb": 3}


@pytest.fixture(scope="module")
def seeded_url(services) -> str:
    url = services.create_database("nb")
    spec = CohortSpec(students=40, days=21, seed=5, end=datetime(2026, 5, 1, tzinfo=UTC))
    write(generate(spec), url, password_hash="$2b$04$" + "z" * 53)
    yield url
    services.drop_database(url)


def test_every_notebook_is_tested() -> None:
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} == set(EXPECTED_FIGURES)


@pytest.mark.parametrize("name", sorted(EXPECTED_FIGURES))
def test_notebook_runs_and_draws(name: str, seeded_url: str, monkeypatch, output_dir) -> None:
    monkeypatch.setenv("DATABASE_URL", seeded_url)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        book, kernel_name="python3", timeout=240, resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    nbformat.write(book, output_dir / f"executed-{name}")
    outputs = [o for cell in book.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == EXPECTED_FIGURES[name]
    assert all(len(o["data"]["image/png"]) > 1000 for o in images)
