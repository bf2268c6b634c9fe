"""Spreadsheet-safe CSV cells: the one rule every CSV export of the platform applies.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula
(OWASP "CSV injection"), and some also after a leading tab or line break, or with the
full-width forms (``＝ ＋ － ＠``). Prompts, code and answers are written by students, so
an export must never hand such a cell to a spreadsheet. The rule (OWASP's prefix):

- writing, a text cell whose first character is ``'`` or a formula character (or a
  compatibility form of one, such as the full-width ``＝``) gets one ``'`` in front;
- reading, one leading ``'`` is dropped from every cell that has one.

Since a leading ``'`` is always added by the writer, a cell starting with ``'`` in the
file is always an escaped one, and ``unescape(escape(s)) == s`` for every string. The
files are comma-separated (RFC 4180 quoting); a spreadsheet told to split on another
character (``;`` in some locales) reads cells the file does not have.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Final

ESCAPE: Final = "'"
FORMULA_STARTS: Final = frozenset("=+-@\t\r\n")


def needs_escape(cell: str) -> bool:
    """True when `cell` would start a formula, or starts with the escape character."""
    if not cell:
        return False
    first = cell[0]
    return first == ESCAPE or unicodedata.normalize("NFKC", first)[:1] in FORMULA_STARTS


def escape(cell: str) -> str:
    """The cell as written: one ``'`` in front when it needs one (see the module's rule)."""
    return ESCAPE + cell if needs_escape(cell) else cell


def unescape(cell: str) -> str:
    """The original text of a written cell: one leading ``'`` removed."""
    return cell[1:] if cell.startswith(ESCAPE) else cell


def escape_value(value: Any) -> Any:
    """`escape` for text; numbers, booleans and missing values pass unchanged."""
    return escape(value) if isinstance(value, str) else value
