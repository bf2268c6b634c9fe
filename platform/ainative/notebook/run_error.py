"""Where a cell's error happened and what it said, as the novice-programming measures read it.

Error Quotient and Watwin compare consecutive errors by line and by message (Jadud 2006;
Watson, Li & Godwin 2013). A SyntaxError knows its line (``lineno``); a runtime error's
line is the last traceback frame in the student's own cell (not in a library it called).
The message is its first line; a SyntaxError's is ``msg`` alone, since ``str()`` adds the
cell's generated file name, which changes with every edit of the cell.
"""

from __future__ import annotations

import re
import traceback

# IPython names a cell's code "<ipython-input-N-hash>"; ipykernel "/tmp/ipykernel_PID/hash.py".
CELL_FILE = re.compile(r"^<ipython-input-\d+-|[\\/]ipykernel_\d+[\\/]|^<cell line")
MAX_LINE_CHARS = 500


def is_cell_file(filename: str | None) -> bool:
    """True when `filename` is one IPython gave a notebook cell's code."""
    return bool(filename) and CELL_FILE.search(filename or "") is not None


def error_line(error: BaseException) -> int | None:
    """The line of the student's cell the error is on (1-based), or None when unknown."""
    if isinstance(error, SyntaxError):
        if error.lineno and (not error.filename or is_cell_file(error.filename)):
            return int(error.lineno)
        return None
    frames = [f for f in traceback.extract_tb(error.__traceback__) if is_cell_file(f.filename)]
    return int(frames[-1].lineno) if frames and frames[-1].lineno else None


def first_line(error: BaseException) -> str:
    """The error message's first non-blank line (a SyntaxError's ``msg``), clipped."""
    text = error.msg if isinstance(error, SyntaxError) and error.msg else str(error)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[0] if lines else "")[:MAX_LINE_CHARS]
