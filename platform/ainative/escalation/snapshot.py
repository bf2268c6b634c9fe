"""What staff receive with a hand-off: the conversation so far, the notebook's cells and
the failing cell with its traceback, each bounded so a snapshot stays small.

The kernel builds `notebook_cells` from the saved notebook (sources, outputs, execution
order); the API bounds what it is sent again (`bound_cells`) and adds the conversation
from the session's stored turns, so staff read what the student saw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MAX_CELLS = 200
MAX_SOURCE = 4000  # characters of one cell's source
MAX_OUTPUT = 2000  # characters of one cell's outputs, joined
TRIMMED = "\n… (trimmed)"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def trim(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - len(TRIMMED)] + TRIMMED


def _output_text(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return _joined(output.get("text"))
    if kind == "error":
        return f"{output.get('ename', '')}: {output.get('evalue', '')}"
    data = output.get("data") or {}
    if WIDGET_MIME in data:  # its text/plain is the widget's Python repr: noise for staff
        return "(a widget)"
    if "text/plain" in data:
        return _joined(data["text/plain"])
    return f"({', '.join(sorted(data)) or kind})"


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def notebook_cells(path: str | Path) -> list[dict[str, Any]]:
    """The saved notebook's cells: kind, source, execution count, outputs as text, trimmed."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    cells = []
    for cell in (nb.get("cells") or [])[:MAX_CELLS]:
        outputs = "\n".join(_output_text(o) for o in cell.get("outputs") or [])
        cells.append(
            {
                "cell_type": str(cell.get("cell_type", "code")),
                "source": trim(_joined(cell.get("source")), MAX_SOURCE),
                "execution_count": cell.get("execution_count"),
                "outputs": trim(outputs, MAX_OUTPUT),
            }
        )
    return cells


def bound_cells(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cells as sent by a client, bounded again (a client may send anything)."""
    bounded = []
    for cell in cells[:MAX_CELLS]:
        count = cell.get("execution_count")
        bounded.append(
            {
                "cell_type": str(cell.get("cell_type") or "code")[:16],
                "source": trim(str(cell.get("source") or ""), MAX_SOURCE),
                "execution_count": count if isinstance(count, int) else None,
                "outputs": trim(str(cell.get("outputs") or ""), MAX_OUTPUT),
            }
        )
    return bounded
