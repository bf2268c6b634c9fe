"""The Assignments page's form reading: a browser's `datetime-local` (no zone; the form
says UTC) becomes a moment in UTC for the API; emptied optional fields clear them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ainative.console.assignments import AssignmentForm, moment


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("", None),
        ("  ", None),
        ("2026-12-07T10:00", "2026-12-07T10:00:00Z"),
        ("2026-12-07T10:00:30", "2026-12-07T10:00:30Z"),
        ("2026-12-07T10:00:00Z", "2026-12-07T10:00:00Z"),
        ("2026-12-07T10:00:00+01:00", "2026-12-07T10:00:00+01:00"),
        ("2026-12-07T10:00:00-05:00", "2026-12-07T10:00:00-05:00"),
    ],
)
def test_a_typed_time_is_sent_with_its_zone(typed: str, sent: str | None) -> None:
    assert moment(typed) == sent
    if sent is not None:
        assert datetime.fromisoformat(sent).tzinfo is not None


def test_the_form_time_is_utc() -> None:
    sent = moment("2026-12-07T10:00")
    assert sent is not None
    assert datetime.fromisoformat(sent) == datetime(2026, 12, 7, 10, tzinfo=UTC)


def test_emptied_hidden_tests_and_notes_are_cleared_the_rest_sent_as_typed() -> None:
    typed = {
        "title": "T",
        "notebook_path": "n.ipynb",
        "reference_solution": "x = 1\n",
        "hidden_tests": "",
        "tutor_notes": "",
    }
    assert AssignmentForm.for_update(typed) == {**typed, "hidden_tests": None, "tutor_notes": None}
    assert AssignmentForm.for_create(typed) == {
        "title": "T",
        "notebook_path": "n.ipynb",
        "reference_solution": "x = 1\n",
    }
