"""Remember the student's last executed cell, its error and its id: what a question is about.

IPython's post_run_cell event gives the cell's source and, when it failed, the exception;
the kernel's parent message gives JupyterLab's id of that cell. The tutor's own cells
(%tutor, %load_ext) are not the student's work and are skipped.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

from ainative.notebook import kernel_context
from ainative.notebook.chat import Outgoing

MAX_CODE_CHARS = 8_000
MAX_ERROR_CHARS = 4_000
TUTOR_CELL_PREFIXES = ("%tutor", "%load_ext ainative", "%reload_ext ainative")


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
    cell_id: str | None = None
    ip: Any = None

    def post_run_cell(self, result: Any) -> None:
        """IPython post_run_cell callback: `result` is an ExecutionResult."""
        info = getattr(result, "info", None)
        source = getattr(info, "raw_cell", None) or ""
        if not source.strip() or source.lstrip().startswith(TUTOR_CELL_PREFIXES):
            return
        self.code = source[-MAX_CODE_CHARS:]
        exc = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        self.error = format_error(exc) if exc is not None else None
        self.cell_id = kernel_context.current_cell_id(self.ip) if self.ip is not None else None

    def context(self) -> dict[str, str] | None:
        """The tutor request's context ({code, error}) or None when nothing ran yet."""
        if self.code is None:
            return None
        ctx = {"code": self.code}
        if self.error:
            ctx["error"] = self.error
        return ctx

    def outgoing(self) -> Outgoing:
        """Everything that may go with a question, for the student to see and untick."""
        name = kernel_context.notebook_path(self.ip) if self.ip is not None else None
        return Outgoing(code=self.code, error=self.error, notebook=name, cell_id=self.cell_id)

    def register(self, ip: Any) -> None:
        self.ip = ip
        ip.events.register("post_run_cell", self.post_run_cell)

    def unregister(self, ip: Any) -> None:
        try:
            ip.events.unregister("post_run_cell", self.post_run_cell)
        except ValueError:
            pass
