"""Which course a notebook's questions and cell runs belong to, and how the choice is kept.

The hub puts the student's courses into the server's environment
(AINATIVE_COURSES, JSON [{id, code, title, role}]); without it the widget asks the API.
One course is taken as it is; with several the student picks one, and the choice is
remembered *in the notebook*:

- An instructor may pin a course in the notebook's metadata (`"ainative": {"course_id": 3}`,
  JupyterLab's metadata editor), for a notebook handed out to one course.
- Otherwise the widget saves the choice in its own output: the cell's display data carries
  a small `application/vnd.ainative.binding+json` entry beside the widget view, and choosing
  another course updates that display. JupyterLab keeps it in the notebook model and saves
  it with the file like any output; when the notebook is opened again the kernel reads it
  back from the file.

Why not write the notebook's metadata from the kernel (the Jupyter server's contents
API)? The notebook is open in JupyterLab at that moment; a write behind its back makes
its next save ask "the file has changed on disk: overwrite or revert?", and overwriting
drops the value again. The output travels through JupyterLab's own model, so it needs no
JavaScript and no extension, and survives saves, copies and downloads of the notebook.
Clearing all outputs forgets the choice; the dropdown then asks again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BINDING_MIME = "application/vnd.ainative.binding+json"
METADATA_KEY = "ainative"


@dataclass(frozen=True)
class Course:
    id: int
    code: str
    title: str
    # The policy's staff_reading ("full" | "aggregates"); None when the list carried no
    # policy (the hub's AINATIVE_COURSES), see notebook.staff_view.
    staff_reading: str | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return f"{self.code} — {self.title}" if self.title else self.code

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Course:
        policy = data.get("tutor_policy")
        reading = policy.get("staff_reading", "full") if isinstance(policy, dict) else None
        return cls(
            id=int(data["id"]),
            code=str(data.get("code", "")),
            title=data.get("title") or "",
            staff_reading=str(reading) if reading is not None else None,
        )


def parse_courses(raw: str | None) -> list[Course] | None:
    """The courses of AINATIVE_COURSES; None when unset or unreadable (ask the API then)."""
    if not raw or not raw.strip():
        return None
    try:
        data = json.loads(raw)
        return [Course.from_json(c) for c in data]
    except (ValueError, TypeError, KeyError):
        log.warning("AINATIVE_COURSES is not a JSON list of {id, code, title}; asking the API")
        return None


def courses_from_api(body: Any) -> list[Course]:
    """The student's courses from GET /api/v1/courses (or a plain list of courses).

    Courses the caller is not a member of (an admin sees all) are left out.
    """
    rows = body.get("data", []) if isinstance(body, dict) else body
    return [Course.from_json(r) for r in rows if isinstance(r, dict) and r.get("role", "student")]


def choose(courses: list[Course], remembered: int | None) -> Course | None:
    """The course to use without asking: the only one, or the one remembered; else None."""
    if len(courses) == 1:
        return courses[0]
    return next((c for c in courses if c.id == remembered), None)


def binding_data(course: Course | None) -> dict[str, Any]:
    """The display-data entry that remembers the course in the notebook."""
    if course is None:
        return {}
    return {"course_id": course.id, "course_code": course.code}


def remembered_course(file: Path | None) -> int | None:
    """The course pinned in the notebook's metadata, else the one its tutor output saved."""
    if file is None:
        return None
    try:
        notebook = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pinned = (notebook.get("metadata") or {}).get(METADATA_KEY) or {}
    if isinstance(pinned, dict) and isinstance(pinned.get("course_id"), int):
        return int(pinned["course_id"])
    for cell in notebook.get("cells") or []:
        for output in cell.get("outputs") or []:
            data = (output.get("data") or {}).get(BINDING_MIME)
            if isinstance(data, dict) and isinstance(data.get("course_id"), int):
                return int(data["course_id"])
    return None
