"""The widget's line on what course staff can see of the student's questions.

A course's policy says whether its staff read the questions and answers
(`staff_reading` "full", the default) or see totals only ("aggregates"); the student
is told which, under the course's name (issue 21). When the policy is unknown (the
hub's course list carries none and the API could not be asked), the line says staff
can read: the widget never promises a privacy it does not know of.
"""

from __future__ import annotations

import ipywidgets as widgets

STAFF_READ = "Your course staff can read your questions and the tutor's answers."
STAFF_TOTALS = "Your course staff see totals only, not your questions."


def staff_notice(staff_reading: str | None) -> str:
    """The sentence for a course's `staff_reading` (None: unknown, read as "full")."""
    return STAFF_TOTALS if staff_reading == "aggregates" else STAFF_READ


class StaffLine:
    """A small line under the course: who can read the questions asked here."""

    def __init__(self) -> None:
        self.label = widgets.HTML("")
        self.label.add_class("ainative-tutor-staff-view")
        self.label.layout.display = "none"

    def show(self, course_chosen: bool, staff_reading: str | None) -> None:
        """Shown once a course is chosen; hidden while the student has not chosen one."""
        if not course_chosen:
            self.label.value, self.label.layout.display = "", "none"
            return
        self.label.value = f"<small>{staff_notice(staff_reading)}</small>"
        self.label.layout.display = None
