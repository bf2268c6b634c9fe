"""Issue 21: the staff console's views of a course — its questions and the live lab
(real API, worker and fake LLM over HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.staff import StaffedCourse, asked, runs, staffed_course

SOLUTION = "Write the full solution code for exercise 3 for me"


@pytest.fixture
def lab(api: httpx.Client, make_user) -> StaffedCourse:
    """A course whose student asked twice (once for the solution) and fails on one error."""
    course = staffed_course(api, make_user)
    asked(api, course.id, course.student, "Why does my loop print the wrong index here?")
    asked(api, course.id, course.student, SOLUTION)
    runs(api, course.id, course.student, [None, "NameError", "NameError", "NameError"])
    return course


def test_staff_read_the_questions_newest_first_filtered_and_paged(api, lab):
    for reader in (lab.instructor, lab.assistant, lab.admin):
        r = api.get(lab.url("/interactions"), headers=reader.headers)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [i["prompt"] for i in items][0] == SOLUTION, "newest first"
        assert len(items) == 2 and r.json()["next_before_id"] is None
    item = items[0]
    assert item["username"] == lab.student.username and item["user_id"] == lab.student.id
    assert item["notebook"] == "lab1.ipynb" and item["classification"] == "solution-request"
    assert item["status"] == "done" and item["answer"] and item["rating"] is None
    assert not {"email", "research_consent", "consent"} & set(item), item.keys()
    assert lab.student.email not in r.text

    solution = api.get(
        lab.url("/interactions"),
        params={"classification": "solution-request"},
        headers=lab.assistant.headers,
    ).json()["items"]
    assert [i["prompt"] for i in solution] == [SOLUTION]
    first = api.get(lab.url("/interactions"), params={"limit": 1}, headers=lab.instructor.headers)
    page = first.json()
    assert len(page["items"]) == 1 and page["next_before_id"] == page["items"][0]["id"]
    second = api.get(
        lab.url("/interactions"),
        params={"limit": 1, "before_id": page["next_before_id"]},
        headers=lab.instructor.headers,
    ).json()
    assert [i["prompt"] for i in second["items"]] != [i["prompt"] for i in page["items"]]
    assert len(second["items"]) == 1 and second["next_before_id"] is None
    none = api.get(
        lab.url("/interactions"),
        params={"student_id": lab.assistant.id, "rating": "unrated"},
        headers=lab.instructor.headers,
    ).json()
    assert none["items"] == []
    for bad in ({"limit": 201}, {"classification": "solution_request"}, {"before_id": "x"}):
        r = api.get(lab.url("/interactions"), params=bad, headers=lab.instructor.headers)
        assert r.status_code == 422, (bad, r.text)
    r = api.get(lab.url("/interactions"), headers=lab.student.headers)
    assert r.status_code == 403


def test_times_with_any_offset_filter_and_impossible_ones_are_422(api, lab):
    """Offsets PostgreSQL refuses (beyond ±15:59) and naive times still filter; a moment
    before year 1 in UTC is a 422 that says so (both were 500s found by fuzzing)."""
    headers = lab.instructor.headers
    for until in ("0120-04-23T18:32:01-16:56", "2999-01-01T00:00:00", "2999-01-01T00:00Z"):
        r = api.get(lab.url("/interactions"), params={"until": until}, headers=headers)
        assert r.status_code == 200, (until, r.text)
    assert len(r.json()["items"]) == 2
    r = api.get(
        lab.url("/interactions"), params={"since": "0001-01-01T00:00:00+05:00"}, headers=headers
    )
    assert r.status_code == 422 and "years" in r.text, r.text


def test_live_view_shows_the_stuck_student_with_flags(api, lab):
    r = api.get(lab.url("/live"), headers=lab.assistant.headers)
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["window_minutes"] == 15
    [row] = view["students"]  # staff are not in the view, only the course's students
    assert row["user_id"] == lab.student.id and row["questions"] == 2
    assert row["failing_runs"] == 3 and row["same_error_streak"] == 3
    assert set(row["flags"]) >= {"repeated_error", "solution_request"}
    assert row["minutes_since_success"] is not None and row["needs_help"] > 0
    assert {"name": "NameError", "count": 3} in view["error_types"]
    assert {t["name"] for t in view["topics"]} == {"debugging", "solution-request"}
    # The window is the caller's: a one-minute window still holds these runs, 0 is refused.
    assert (
        api.get(lab.url("/live"), params={"minutes": 0}, headers=lab.admin.headers).status_code
        == 422
    )
    assert (
        api.get(lab.url("/live"), params={"minutes": 121}, headers=lab.admin.headers).status_code
        == 422
    )
    assert api.get(lab.url("/live"), headers=lab.student.headers).status_code == 403


def test_attack_instructor_reads_no_other_courses_interactions_or_live_view(api, lab, make_user):
    other = staffed_course(api, make_user)
    for reader in (other.instructor, other.assistant, lab.student):
        for path in ("/interactions", "/live", "/members"):
            r = api.get(lab.url(path), headers=reader.headers)
            assert r.status_code == 403, (path, r.text)
            assert lab.student.username not in r.text
    r = api.get(f"/api/v1/courses/{2**31 - 1}/live", headers=lab.instructor.headers)
    assert r.status_code == 404
    # An id from the other course as the cursor gives nothing of it.
    mine = api.get(lab.url("/interactions"), headers=lab.instructor.headers).json()["items"]
    theirs = api.get(
        other.url("/interactions"),
        params={"before_id": mine[0]["id"]},
        headers=other.instructor.headers,
    ).json()
    assert theirs["items"] == []


def test_attack_staff_reading_aggregates_hides_questions(api, lab):
    """Switched to aggregates, no reader gets a question's text: not the list, not one
    student's conversation, not an interaction by an id read before the switch."""
    ids = [
        i["id"]
        for i in api.get(lab.url("/interactions"), headers=lab.instructor.headers).json()["items"]
    ]
    r = api.put(
        lab.url("/policy"), json={"staff_reading": "aggregates"}, headers=lab.instructor.headers
    )
    assert r.status_code == 200, r.text
    for reader in (lab.instructor, lab.assistant, lab.admin):
        for params in ({}, {"student_id": lab.student.id, "limit": 200}):
            r = api.get(lab.url("/interactions"), params=params, headers=reader.headers)
            assert r.status_code == 403, r.text
            assert r.json()["detail"] == "this course shows its staff totals only"
            assert SOLUTION not in r.text
        live = api.get(lab.url("/live"), headers=reader.headers)
        assert live.status_code == 200 and SOLUTION not in live.text
        assert live.json()["students"][0]["questions"] == 2
    summary = api.get(lab.url("/summary"), headers=lab.instructor.headers)
    assert summary.status_code == 200 and SOLUTION not in summary.text
    for interaction_id in ids:
        r = api.get(f"/api/v1/tutor/requests/{interaction_id}", headers=lab.instructor.headers)
        assert r.status_code == 404 and SOLUTION not in r.text, r.text
        own = api.get(f"/api/v1/tutor/requests/{interaction_id}", headers=lab.student.headers)
        assert own.status_code == 200, "the student still reads their own"


def test_live_view_leaves_the_tutors_cells_and_interrupts_out(api, lab):
    """A %tutor cell or a stopped run between two failures does not end the string."""
    now = datetime.now(UTC)
    cells = [("%tutor", True, None), ("x", False, "KeyboardInterrupt"), ("x", False, "NameError")]
    events = [
        {
            "type": "cell.executed",
            "occurred_at": (now + timedelta(milliseconds=100 * (n + 1))).isoformat(),
            "course_id": lab.id,
            "payload": {"code": code, "success": ok, "error_type": error},
        }
        for n, (code, ok, error) in enumerate(cells)
    ]
    r = api.post("/api/v1/events/batch", json={"events": events}, headers=lab.student.headers)
    assert r.status_code == 200, r.text
    [row] = api.get(lab.url("/live"), headers=lab.assistant.headers).json()["students"]
    assert row["same_error_streak"] == 4 and row["failing_runs"] == 4
