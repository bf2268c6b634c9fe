"""An experiment's pre-registration: what it tests and how, frozen when it starts.

CONSORT (item 3a/7a/12a, and the pre-registration it presumes) asks a report to compare
what was done with what was planned. The plan is recorded with the experiment's start
(`experiments.preregistration`, `registered_at`) and a trigger (migration 0012) refuses
to change it afterwards; `analytics.consort.deviations` compares a report with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from ainative.course.errors import ExperimentError

FIELDS = ("hypothesis", "primary_outcome", "planned_n", "planned_end", "analysis_commit")
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


def preregistration(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The plan as stored, checked: every field present and well-formed.

    hypothesis and primary_outcome are text; planned_n a number of students (at least
    2); planned_end an ISO date; analysis_commit the git commit of the analysis code.
    Optional: secondary_outcomes (a list of names).
    """
    unknown = set(plan) - {*FIELDS, "secondary_outcomes"}
    if unknown:
        raise ExperimentError(f"a pre-registration has no field {', '.join(sorted(unknown))}")
    missing = [f for f in FIELDS if plan.get(f) in (None, "")]
    if missing:
        raise ExperimentError(f"the pre-registration needs {', '.join(missing)}")
    for name in ("hypothesis", "primary_outcome"):
        if not isinstance(plan[name], str) or len(plan[name]) > 4000:
            raise ExperimentError(f"{name} must be text of at most 4000 characters")
    planned_n = plan["planned_n"]
    if not isinstance(planned_n, int) or isinstance(planned_n, bool) or planned_n < 2:
        raise ExperimentError("planned_n must be a whole number of students, at least 2")
    try:
        planned_end = date.fromisoformat(str(plan["planned_end"]))
    except ValueError:
        raise ExperimentError("planned_end must be a date, YYYY-MM-DD") from None
    commit = str(plan["analysis_commit"]).lower()
    if not _COMMIT.match(commit):
        raise ExperimentError("analysis_commit must be a git commit (7 to 40 hex digits)")
    secondary = plan.get("secondary_outcomes") or []
    if not isinstance(secondary, list) or not all(isinstance(s, str) for s in secondary):
        raise ExperimentError("secondary_outcomes must be a list of names")
    return {
        "hypothesis": plan["hypothesis"].strip(),
        "primary_outcome": plan["primary_outcome"].strip(),
        "planned_n": planned_n,
        "planned_end": planned_end.isoformat(),
        "analysis_commit": commit,
        "secondary_outcomes": list(secondary),
    }
