"""Remember the student's last executed cell, its error and its id: what a question is about.

IPython's post_run_cell event gives the cell's source and, when it failed, the exception;
the kernel's parent message gives JupyterLab's id of that cell. A failed cell also gets
the kernel's diagnosis (diagnosis.py: friendly-traceback's explanation, within a budget).
The tutor's own cells (%tutor, %load_ext) are not the student's work and are skipped.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from typing import Any

from ainative.notebook import diagnosis, kernel_context
from ainative.notebook.chat import Outgoing

MAX_CODE_CHARS = 8_000
MAX_ERROR_CHARS = 4_000
TUTOR_CELL_PREFIXES = ("%tutor", "%load_ext ainative", "%reload_ext ainative")
# The same prefixes as a PostgreSQL regular expression, for queries over stored code.
TUTOR_CELL_SQL_PATTERN = r"^\s*%(tutor|load_ext\s+ainative|reload_ext\s+ainative)"
# A line that only loads or shows the tutor: the tutor's own cell, not a program run.
_WIDGET_LINE = re.compile(
    r"^(%(re)?load_ext\s+ainative\S*|%tutor\b.*|(from\s+ainative\S*\s+)?import\s+.*"
    r"|(display\()?\s*(TutorWidget|TutorClient|tutor)\s*\(.*\)\)?)\s*;?$"
)


def is_tutor_cell(code: str | None) -> bool:
    """True for the tutor's own cells: %tutor / %load_ext ainative, or widget-only code."""
    source = (code or "").strip()
    if not source:
        return False
    if source.startswith(TUTOR_CELL_PREFIXES):
        return True
    lines = [
        ln.strip() for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]
    loads = any("ainative" in ln or "Tutor" in ln or ln.startswith("%tutor") for ln in lines)
    return loads and all(_WIDGET_LINE.match(ln) for ln in lines)


def format_error(exc: BaseException) -> str:
    """The last frames of the traceback and the message, as a student would read them."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/IPython/" not in f.filename]
    lines = traceback.format_list(frames[-3:]) + traceback.format_exception_only(type(exc), exc)
    return "".join(lines).strip()[-MAX_ERROR_CHARS:]


@dataclass
class CellCapture:
    """The last cell the student ran and its error (None when it succeeded)."""

    code: str | None = None
    error: str | None = None
    explanation: str | None = None
    cell_id: str | None = None
    ip: Any = None
    budget: float = diagnosis.BUDGET_SECONDS  # seconds the explanation may take; 0: none

    def post_run_cell(self, result: Any) -> None:
        """IPython post_run_cell callback: `result` is an ExecutionResult."""
        info = getattr(result, "info", None)
        source = getattr(info, "raw_cell", None) or ""
        if not source.strip() or source.lstrip().startswith(TUTOR_CELL_PREFIXES):
            return
        self.code = source[-MAX_CODE_CHARS:]
        exc = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        self.error = format_error(exc) if exc is not None else None
        self.explanation = None
        if exc is not None and self.budget > 0:
            cells = diagnosis.cell_files(self.ip)
            self.explanation = diagnosis.explain(exc, cells, budget=self.budget)
        self.cell_id = kernel_context.current_cell_id(self.ip) if self.ip is not None else None

    def context(self) -> dict[str, str] | None:
        """The tutor request's context ({code, error, explanation}) or None when nothing ran."""
        if self.code is None:
            return None
        ctx = {"code": self.code}
        if self.error:
            ctx["error"] = self.error
        if self.explanation:
            ctx["explanation"] = self.explanation
        return ctx

    def outgoing(self) -> Outgoing:
        """Everything that may go with a question, for the student to see and untick."""
        name = kernel_context.notebook_path(self.ip) if self.ip is not None else None
        return Outgoing(
            code=self.code,
            error=self.error,
            explanation=self.explanation,
            notebook=name,
            cell_id=self.cell_id,
        )

    def register(self, ip: Any) -> None:
        self.ip = ip
        ip.events.register("post_run_cell", self.post_run_cell)

    def unregister(self, ip: Any) -> None:
        try:
            ip.events.unregister("post_run_cell", self.post_run_cell)
        except ValueError:
            pass
