"""What a kernel's questions and cell runs belong to: course, session, notebook and cell.

One KernelContext per kernel (the `%load_ext ainative.notebook` extension makes it) is
shared by the widget, which sets the course and the tutor session as the student picks
them, and the activity recorder, which stamps every cell run with them.

Notebook and cell: ipykernel names the session's notebook in `__session__` (from
JPY_SESSION_NAME), and JupyterLab sends the id of the cell being run in the execute
request's metadata (`cellId`), read from the kernel's parent message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ainative.config import Settings
from ainative.notebook.course_choice import parse_courses

CELL_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass
class KernelContext:
    """The course, session and notebook of this kernel's work, as the widget last set them."""

    ip: Any = None
    course_id: int | None = None
    session_id: str | None = None
    # A student in several courses, none chosen yet: cell runs wait (queued) for the
    # widget's choice, since the API refuses them without one (and they belong to it).
    course_pending: bool = False
    notebook_path: str | None = None

    @classmethod
    def start(cls, ip: Any) -> KernelContext:
        """The context before any widget: the only course of the hub's list, if one."""
        courses = parse_courses(Settings().ainative_courses) or []
        return cls(
            ip=ip,
            course_id=courses[0].id if len(courses) == 1 else None,
            course_pending=len(courses) > 1,
            notebook_path=notebook_path(ip),
        )

    def cell_id(self) -> str | None:
        """The id of the cell being run now, if the front end sent one."""
        return current_cell_id(self.ip) if self.ip is not None else None


def notebook_file(ip: Any) -> Path | None:
    """The notebook this kernel runs for, as a file on disk (None outside a Jupyter session)."""
    name = (getattr(ip, "user_ns", None) or {}).get("__session__")
    if not name or not str(name).endswith(".ipynb"):
        return None
    path = Path(str(name))
    return path if path.is_absolute() else Path.cwd() / path.name


def notebook_path(ip: Any) -> str | None:
    """The notebook's path as the student sees it: relative to their home when inside it."""
    file = notebook_file(ip)
    if file is None:
        return None
    try:
        return file.relative_to(Path.home()).as_posix()
    except ValueError:
        return file.name


def current_cell_id(ip: Any) -> str | None:
    """The id of the cell being executed (JupyterLab's `cellId`), if the front end sent one."""
    kernel = getattr(ip, "kernel", None)
    if kernel is None:
        return None
    try:
        parent = kernel.get_parent("shell")
    except Exception:  # an older or foreign kernel: no cell ids
        return None
    cell = str(((parent or {}).get("metadata") or {}).get("cellId") or "")
    return cell if CELL_ID.fullmatch(cell) else None  # what nbformat (and the API) allow
