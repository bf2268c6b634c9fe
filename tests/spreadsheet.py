"""How a spreadsheet judges the cells of a CSV file it opens: which would run as formulas.

Written from OWASP's description of CSV injection, not from the exporters: a cell runs as
a formula when its text starts with = + - @ (Excel, LibreOffice, Google Sheets), also
after a leading tab or carriage return, and in some locales with the full-width forms;
a plain number such as -2 is a number, not a formula.
"""

from __future__ import annotations

import csv
import io

# ASCII, then full-width and small forms
FORMULA_STARTS = tuple("=+-@\t\r\n＝＋－＠﹦﹢﹣﹫")


def runs_as_formula(cell: str) -> bool:
    """True when a spreadsheet opening the file would evaluate `cell` as a formula."""
    if not cell.startswith(FORMULA_STARTS):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def formula_cells(csv_text: str) -> list[str]:
    """Every cell of a comma-separated file that would run as a formula."""
    rows = csv.reader(io.StringIO(csv_text, newline=""))
    return [cell for row in rows for cell in row if runs_as_formula(cell)]
