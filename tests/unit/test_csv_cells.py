"""The spreadsheet-safe cell rule: reversible for every text, and never a formula."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ainative.csv_cells import escape, unescape
from tests.spreadsheet import runs_as_formula

STARTS = st.sampled_from(list("=+-@'\t\r\nx＝＋－＠﹦") + ["''", "'=", ""])


@given(start=STARTS, rest=st.text(max_size=20))
def test_escaped_cells_read_back_exactly_and_never_run(start: str, rest: str) -> None:
    cell = start + rest
    written = escape(cell)
    assert unescape(written) == cell
    assert not runs_as_formula(written)


def test_only_cells_that_need_it_change() -> None:
    assert escape("print(1)") == "print(1)" and escape("") == ""
    assert escape("=1+1") == "'=1+1" and escape("'=1+1") == "''=1+1"
    assert escape("＝1") == "'＝1"  # full-width, by its compatibility form
