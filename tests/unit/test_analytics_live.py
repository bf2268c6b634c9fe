"""analytics.live: the live lab's rows from small frames, by the package's own measures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics.live import frames, live_rows
from analytics.novice import error_strings, repeated_error_density

NOW = datetime(2026, 12, 7, 10, 15, tzinfo=UTC)


def at(minutes_ago: float) -> datetime:
    return NOW - timedelta(minutes=minutes_ago)


def run(uid: int, name: str, minutes_ago: float, error: str | None) -> dict:
    return {
        "user_id": uid,
        "username": name,
        "occurred_at": at(minutes_ago),
        "event_type": "cell.executed",
        "success": error is None,
        "error_type": error,
    }


def ask(uid: int, name: str, minutes_ago: float, kind: str | None, guardrail: str | None):
    return {
        "user_id": uid,
        "username": name,
        "created_at": at(minutes_ago),
        "classification": kind,
        "guardrail": guardrail,
    }


def test_live_rows_flag_the_stuck_student_first() -> None:
    runs = [
        run(1, "ada", 10, None),
        run(1, "ada", 8, "NameError"),
        run(1, "ada", 6, "NameError"),
        run(1, "ada", 4, "NameError"),
        run(2, "bob", 9, "TypeError"),
        run(2, "bob", 5, None),
    ]
    asked = [
        ask(2, "bob", 7, "solution-request", "rewritten"),
        ask(3, "cy", 3, "conceptual", "passed"),
        ask(3, "cy", 2, None, None),  # still queued: no topic yet
    ]
    view = live_rows(*frames(asked, runs), now=NOW)
    by_name = {s["username"]: s for s in view["students"]}
    assert [s["username"] for s in view["students"]] == ["ada", "bob", "cy"]
    ada, bob, cy = by_name["ada"], by_name["bob"], by_name["cy"]
    assert (ada["failing_runs"], ada["same_error_streak"]) == (3, 3)
    assert ada["flags"] == ["repeated_error"] and ada["minutes_since_success"] == 10.0
    assert bob["flags"] == ["solution_request", "guardrail"] and bob["same_error_streak"] == 0
    assert bob["minutes_since_success"] == 5.0 and bob["questions"] == 1
    assert cy["flags"] == [] and cy["minutes_since_success"] is None and cy["questions"] == 2
    assert cy["needs_help"] == 0.0 < bob["needs_help"] < ada["needs_help"]
    assert view["error_types"] == [
        {"name": "NameError", "count": 3},
        {"name": "TypeError", "count": 1},
    ]
    assert {t["name"]: t["count"] for t in view["topics"]} == {
        "solution-request": 1,
        "conceptual": 1,
    }


def test_live_rows_with_an_empty_window() -> None:
    view = live_rows(*frames([], []), now=NOW)
    assert view == {"students": [], "error_types": [], "topics": []}


def test_error_strings_are_the_strings_repeated_error_density_weighs() -> None:
    """Becker's worked example: strings of 1, 3 and 2 identical errors."""
    names = ["A", "B", "B", "B", None, "C", "C"]
    _, events = frames([], [run(1, "ada", 20 - i, e) for i, e in enumerate(names)])
    events["session_id"], events["cell_id"] = "s", "c1"
    strings = error_strings(events)
    assert strings["runs"].tolist() == [1, 3, 2]
    assert strings["current"].tolist() == [False, False, True]
    red = repeated_error_density(events)["red"].iloc[0]
    assert abs(red - (4 / 3 + 1 / 2)) < 1e-9


def test_the_api_filters_list_the_stored_values() -> None:
    from typing import get_args

    from ainative.db.models import CLASSIFICATIONS, GUARDRAIL_OUTCOMES
    from api.routes.course_views import Classification, Guardrail

    assert get_args(Classification) == CLASSIFICATIONS
    assert get_args(Guardrail) == GUARDRAIL_OUTCOMES


def test_frames_read_the_window_queries_columns_in_order() -> None:
    from ainative.course.staff_views import LIVE_ASKED, LIVE_RUNS
    from analytics import live

    assert tuple(live._ASKED) == LIVE_ASKED and tuple(live._RUNS) == LIVE_RUNS
    row = run(1, "ada", 1, "NameError")
    _, by_dict = frames([], [row])
    _, by_tuple = frames([], [tuple(row[c] for c in LIVE_RUNS)])
    assert by_dict.equals(by_tuple)
