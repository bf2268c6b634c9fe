"""Every research measure run on one course's data from the database: what a researcher
would do first with data the real widget produced. Shared by the integration test of the
widget's API path and the browser test of the widget itself."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analytics import measures, novice
from analytics.load import (
    TraceFilter,
    load_deadlines,
    load_enrolments,
    load_events,
    load_interactions,
    load_sessions,
)
from analytics.load_escalations import load_escalations
from analytics.load_windows import load_window_refusals


def every_measure(database_url: str, course: str) -> dict[str, Any]:
    """Each measure's result on the course's consented data; raises if any measure fails."""
    where = TraceFilter(courses=[course])
    interactions = load_interactions(database_url, where=where)
    events = load_events(database_url, where=where, include_text=True)
    sessions = load_sessions(database_url, where=where)
    enrolments = load_enrolments(database_url, where=where)
    deadlines = load_deadlines(database_url, where=where)
    hours = measures.hours_to_deadline(interactions, deadlines)
    escalations = load_escalations(database_url, where=where)
    refusals = load_window_refusals(database_url, where=where)
    results: dict[str, Any] = {
        "cache_hit_rate": measures.cache_hit_rate(interactions),
        "deadline_profile": measures.deadline_profile(hours),
        "error_rate": measures.error_rate(interactions),
        "guardrail_outcomes": measures.guardrail_outcomes(interactions),
        "help_by_hour": measures.help_by_hour(interactions),
        "hours_to_deadline": hours,
        "latency_summary": measures.latency_summary(interactions),
        "leak_rate": measures.leak_rate(interactions),
        "next_run_after_answer": measures.next_run_after_answer(interactions, events),
        "outside_working_hours": measures.outside_working_hours(interactions),
        "queries_per_student": measures.queries_per_student(enrolments, interactions),
        "rating_distribution": measures.rating_distribution(interactions),
        "rating_summary": measures.rating_summary(interactions),
        "reach": measures.reach(enrolments, interactions),
        "request_mix": measures.request_mix(interactions),
        "sessions_by_inactivity": measures.sessions_by_inactivity(interactions),
        "solution_seeking": measures.solution_seeking(interactions),
        "time_to_help": measures.time_to_help(events, interactions),
        "time_to_first_reply": measures.time_to_first_reply(escalations),
        "window_refusals": measures.window_refusals(refusals),
        "error_quotient": novice.error_quotient(events),
        "repeated_error_density": novice.repeated_error_density(events),
        "watwin": novice.watwin(events),
        "help_abuse": novice.help_abuse(interactions, events),
        "help_avoidance": novice.help_avoidance(events, interactions),
        "time_on_task": novice.time_on_task(events, interactions),
        "activity_sessions": novice.activity_sessions(events, interactions),
        "time_to_fix": novice.time_to_fix(events),
    }
    missing = set(measures.__all__) - set(results)
    assert not missing, f"measures not exercised: {sorted(missing)}"
    for name, value in results.items():
        assert isinstance(value, pd.DataFrame | pd.Series), name
    assert len(interactions) > 0 and len(sessions) > 0
    return results
