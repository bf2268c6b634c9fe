"""The leak numbers of a course's assignments, for people (issue 22): per assignment, per
experiment arm and per ISO week (UTC), and the AI window each is under now.

For each group: `answers_scored` (answers leak-scored against the reference), `leaked`
(of those, at or above the threshold), `passed_tests` (answers whose code passed the
hidden tests) and `refused_by_window` (questions an AI window `off` refused; the
`ai_window.refused` events, tied to an assignment by their notebook path and to an arm by
the asker's arm in the experiment running at that moment). Refusals from notebooks that
are no assignment's (a course-wide window) are counted apart, in `other_notebooks`.

Counts only: no student, no text, never the reference solution or hidden tests, so
every course reader may see them. Like every service it reads and never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ainative.course.event_types import AI_WINDOW_REFUSED
from ainative.tutor.course_rule import WINDOW_IN_FORCE, WINDOW_STRICTEST_FIRST

COUNTS = ("answers_scored", "leaked", "passed_tests", "refused_by_window")
WEEK = """to_char({column} AT TIME ZONE 'UTC', 'IYYY-"W"IW')"""

ANSWERS_SQL = text(
    f"""
    SELECT i.assignment_id, i.experiment_id, i.arm_id, arm.name AS arm,
        {WEEK.format(column="i.created_at")} AS week,
        count(i.leak_score) AS answers_scored,
        count(*) FILTER (WHERE i.leak_score IS NOT NULL
                         AND (i.leak ->> 'leak')::boolean) AS leaked,
        count(*) FILTER (WHERE (i.leak -> 'parts' -> 'tests' ->> 'passed')::boolean)
            AS passed_tests
    FROM interactions i LEFT JOIN experiment_arms arm ON arm.id = i.arm_id
    WHERE i.course_id = :course_id AND i.assignment_id IS NOT NULL
      AND (CAST(:assignment_id AS integer) IS NULL OR i.assignment_id = :assignment_id)
    GROUP BY 1, 2, 3, 4, 5
    """
)

REFUSED_SQL = text(
    f"""
    SELECT a.id AS assignment_id, e.id AS experiment_id, x.arm_id, arm.name AS arm,
        {WEEK.format(column="ev.occurred_at")} AS week, count(*) AS refused_by_window
    FROM events ev
    LEFT JOIN assignments a
        ON a.course_id = ev.course_id AND a.notebook_path = ev.payload ->> 'notebook_path'
    LEFT JOIN experiments e
        ON e.course_id = ev.course_id AND e.created_at <= ev.occurred_at
       AND (e.ended_at IS NULL OR ev.occurred_at < e.ended_at)
    LEFT JOIN experiment_assignments x ON x.experiment_id = e.id AND x.user_id = ev.user_id
    LEFT JOIN experiment_arms arm ON arm.id = x.arm_id
    WHERE ev.course_id = :course_id AND ev.event_type = :event_type
      AND (CAST(:assignment_id AS integer) IS NULL OR a.id = :assignment_id)
    GROUP BY 1, 2, 3, 4, 5
    """
)

# Each assignment (and, as assignment_id NULL, the course's other notebooks): the window
# submit would apply now, and the next one to begin.
WINDOWS_SQL = text(
    f"""
    WITH targets AS (
        SELECT a.id, a.title, a.notebook_path FROM assignments a
        WHERE a.course_id = :course_id
          AND (CAST(:assignment_id AS integer) IS NULL OR a.id = :assignment_id)
        UNION ALL SELECT NULL, NULL, NULL)
    SELECT t.id AS assignment_id, t.title, t.notebook_path,
        now_w.id AS window_id, now_w.mode, now_w.ends_at, now_w.assignment_id IS NULL
            AS course_wide,
        next_w.id AS next_id, next_w.mode AS next_mode, next_w.starts_at AS next_starts_at
    FROM targets t
    LEFT JOIN LATERAL (
        SELECT w.id, w.mode, w.ends_at, w.assignment_id FROM ai_windows w
        WHERE w.course_id = :course_id
          AND (w.assignment_id IS NULL OR w.assignment_id = t.id) AND {WINDOW_IN_FORCE}
        ORDER BY {WINDOW_STRICTEST_FIRST} LIMIT 1) now_w ON true
    LEFT JOIN LATERAL (
        SELECT w.id, w.mode, w.starts_at FROM ai_windows w
        WHERE w.course_id = :course_id
          AND (w.assignment_id IS NULL OR w.assignment_id = t.id) AND w.starts_at > now()
        ORDER BY w.starts_at LIMIT 1) next_w ON true
    ORDER BY t.id NULLS LAST
    """
)


def _blank() -> dict[str, Any]:
    return dict.fromkeys(COUNTS, 0)


def _with_rate(counts: Mapping[str, Any]) -> dict[str, Any]:
    """The counts and the leak rate (leaked / answers scored; null with nothing scored)."""
    scored = int(counts["answers_scored"])
    return {**counts, "leak_rate": round(counts["leaked"] / scored, 4) if scored else None}


def _window(row: Mapping[Any, Any]) -> dict[str, Any]:
    upcoming = None
    if row["next_id"] is not None:
        upcoming = {
            "window_id": row["next_id"],
            "mode": row["next_mode"],
            "starts_at": row["next_starts_at"],
        }
    return {
        "mode": row["mode"] or "normal",
        "window_id": row["window_id"],
        "course_wide": bool(row["course_wide"]) if row["window_id"] is not None else None,
        "until": row["ends_at"] if row["window_id"] is not None else None,
        "next": upcoming,
    }


class _Groups:
    """Counts summed by assignment, by (assignment, arm) and by (assignment, week)."""

    def __init__(self) -> None:
        self.totals: dict[Any, dict[str, Any]] = defaultdict(_blank)
        self.arms: dict[Any, dict[Any, dict[str, Any]]] = defaultdict(dict)
        self.weeks: dict[Any, dict[str, dict[str, Any]]] = defaultdict(dict)

    def add(self, rows: Iterable[Mapping[Any, Any]]) -> None:
        for row in rows:
            aid = row["assignment_id"]
            arm_key = (row["experiment_id"], row["arm_id"])
            arm = self.arms[aid].setdefault(
                arm_key,
                {"experiment_id": arm_key[0], "arm_id": arm_key[1], "arm": row["arm"], **_blank()},
            )
            week = self.weeks[aid].setdefault(row["week"], {"week": row["week"], **_blank()})
            for name in COUNTS:
                value = int(row.get(name) or 0)
                self.totals[aid][name] += value
                arm[name] += value
                week[name] += value

    def of(self, aid: Any) -> dict[str, Any]:
        arms = sorted(
            self.arms.get(aid, {}).values(),
            key=lambda a: (a["experiment_id"] or 0, a["arm_id"] or 0),
        )
        weeks = sorted(self.weeks.get(aid, {}).values(), key=lambda w: w["week"])
        return {
            "totals": _with_rate(self.totals.get(aid) or _blank()),
            "by_arm": [_with_rate(a) for a in arms],
            "by_week": [_with_rate(w) for w in weeks],
        }


def assignment_stats(
    session: Session, *, course_id: int, assignment_id: int | None = None
) -> dict[str, Any]:
    """The numbers of every assignment of the course (or of one), and of its other notebooks.

    The caller checks the course and, for `assignment_id`, that it is one of its own.
    """
    params = {"course_id": course_id, "assignment_id": assignment_id}
    groups = _Groups()
    groups.add(session.execute(ANSWERS_SQL, params).mappings())
    groups.add(session.execute(REFUSED_SQL, {**params, "event_type": AI_WINDOW_REFUSED}).mappings())
    items: list[dict[str, Any]] = []
    other: dict[str, Any] = {}
    for row in session.execute(WINDOWS_SQL, params).mappings():
        aid = row["assignment_id"]
        entry = {"window": _window(row), **groups.of(aid)}
        if aid is None:
            other = entry
        else:
            items.append(
                {
                    "assignment_id": aid,
                    "title": row["title"],
                    "notebook_path": row["notebook_path"],
                    **entry,
                }
            )
    return {
        "course_id": course_id,
        "data": items,
        "other_notebooks": other if assignment_id is None else None,
    }
