"""Conversations without a server: history in the prompt, its budget, the offline tutor's
dialogue, the course rule, and deadline measures on rows without a course."""

from __future__ import annotations

import pandas as pd
import pytest

from ainative.config import Settings
from ainative.llm import LLMRequest
from ainative.llm.offline import OFFLINE_MODEL, SCRIPT, OfflineTutor, conversation
from ainative.tutor.course_rule import CourseChoice, choose_course
from ainative.tutor.errors import (
    CourseChoiceError,
    NotACourseMemberError,
    SessionCourseLeftError,
    SessionCourseMismatchError,
)
from ainative.tutor.prompts import Turn, build_messages, fit_history
from analytics.measures import hours_to_deadline


def test_history_goes_between_the_system_message_and_the_question() -> None:
    history = [Turn("What is a loop?", "What do you want to repeat?"), Turn("A print", "Good.")]
    messages = build_messages("Now it prints 5", "socratic", {"code": "x = 5"}, history=history)
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert [m["content"] for m in messages[1:5]] == [
        "What is a loop?",
        "What do you want to repeat?",
        "A print",
        "Good.",
    ]
    assert (
        messages[-1]["content"].startswith("Now it prints 5") and "x = 5" in messages[-1]["content"]
    )


def test_the_budget_keeps_the_newest_whole_turns() -> None:
    turns = [Turn("a" * 40, "b" * 60), Turn("c" * 40, "d" * 60), Turn("e" * 10, "f" * 10)]
    assert fit_history(turns, 1000) == turns
    assert fit_history(turns, 120) == turns[1:]  # 20 + 100 fit, the oldest 100 does not
    assert fit_history(turns, 119) == turns[2:]
    assert fit_history(turns, 19) == []
    # an old short turn behind a dropped one is dropped too: no gaps in the conversation
    assert fit_history([Turn("x", "y"), *turns], 120) == turns[1:]
    messages = build_messages("q", "hints", history=turns, history_max_chars=120)
    assert [m["content"] for m in messages[1:-1]] == ["c" * 40, "d" * 60, "e" * 10, "f" * 10]
    assert len(build_messages("q", "hints", history=turns, history_max_chars=0)) == 2


def _request(question: str, history: list[Turn], mode: str = "socratic", **ctx: str) -> LLMRequest:
    return LLMRequest(
        messages=build_messages(question, mode, ctx, history=history),
        model=OFFLINE_MODEL,
        max_tokens=100,
        mode=mode,
        question=question,
        context=ctx,
    )


def test_the_offline_tutor_holds_a_conversation() -> None:
    tutor = OfflineTutor(Settings())
    first_q = "Why does my loop print nothing?"
    first = tutor.complete(_request(first_q, [])).text
    assert "You said before" not in first

    follow = tutor.complete(_request("I tried a smaller list", [Turn(first_q, first)])).text
    assert f"You said before: “{first_q}”" in follow
    assert f"Step 2 of {len(SCRIPT) + 1} — {SCRIPT[0][0]}" in follow
    assert tutor.complete(_request("I tried a smaller list", [Turn(first_q, first)])).text == follow

    history = [Turn(first_q, first), Turn("I tried a smaller list", follow)]
    third = tutor.complete(_request("Line 3 is odd", history)).text
    assert "“I tried a smaller list”" in third and f"— {SCRIPT[1][0]}" in third
    long = [Turn(f"turn {i}", "ok") for i in range(len(SCRIPT) + 3)]
    assert f"— {SCRIPT[-1][0]}" in tutor.complete(_request("again", long)).text


def test_the_offline_tutor_still_reads_the_error_in_a_follow_up() -> None:
    history = [Turn("help", "What did you expect?")]
    text = (
        OfflineTutor(Settings())
        .complete(_request("Now this", history, error="KeyError: 'total'"))
        .text
    )
    assert "KeyError" in text and "“help”" in text


def test_conversation_reads_the_previous_student_turn() -> None:
    assert conversation(build_messages("q", "socratic")) == (None, 0)
    messages = build_messages("q3", "socratic", history=[Turn("q1", "a1"), Turn("q2", "a2")])
    assert conversation(messages) == ("q2", 2)


A = CourseChoice(1, "CS101", "Programming", {"quota_per_hour": 0})
B = CourseChoice(2, "DS200", "Data", {})


@pytest.mark.parametrize(
    ("courses", "named", "session_course", "expected"),
    [
        ((), None, None, None),  # no course: no policy
        ((A,), None, None, 1),  # the only course, without naming it
        ((A, B), 2, None, 2),  # named
        ((A, B), None, 1, 1),  # the session's course
        ((A, B), 1, 1, 1),  # named and the session's agree
        ((A, B), None, None, CourseChoiceError),  # several: which?
        ((A, B), 2, 1, SessionCourseMismatchError),  # conflicts with the session
        ((A,), 2, None, NotACourseMemberError),  # not a member
        ((B,), None, 1, SessionCourseLeftError),  # no longer a member of the session's course
    ],
)
def test_the_course_rule(
    courses: tuple[CourseChoice, ...],
    named: int | None,
    session_course: int | None,
    expected: object,
) -> None:
    if isinstance(expected, type):
        with pytest.raises(expected):
            choose_course(courses, named=named, session_course=session_course)
        return
    chosen = choose_course(courses, named=named, session_course=session_course)
    assert (chosen.id if chosen else None) == expected


def test_several_courses_are_listed_to_choose_from() -> None:
    with pytest.raises(CourseChoiceError) as err:
        choose_course((A, B), named=None)
    assert "1 (CS101), 2 (DS200)" in str(err.value)
    assert err.value.courses == (A, B)
    assert A.public() == {"id": 1, "code": "CS101", "title": "Programming"}


def test_hours_to_deadline_on_rows_without_a_course() -> None:
    times = pd.to_datetime(["2026-01-01T10:00Z", "2026-01-01T11:00Z", "2026-01-02T10:00Z"])
    asked = pd.DataFrame(
        {"created_at": times, "course_id": pd.array([1, None, 1], dtype="Int64")}, index=[7, 8, 9]
    )
    deadlines = pd.DataFrame(
        {
            "course_id": pd.array([1], dtype="Int64"),
            "deadline": pd.to_datetime(["2026-01-03T10:00Z"]),
        }
    )
    hours = hours_to_deadline(asked, deadlines)
    assert hours.index.tolist() == [7, 8, 9] and str(hours.dtype) == "Float64"
    assert hours.tolist()[0] == 48.0 and hours.tolist()[2] == 24.0 and pd.isna(hours.iloc[1])
    no_course = asked.assign(course_id=pd.array([None] * 3, dtype="Int64"))
    assert hours_to_deadline(no_course, deadlines).isna().all()
    assert hours_to_deadline(asked.iloc[:0], deadlines).empty
    assert hours_to_deadline(asked, deadlines.iloc[:0]).isna().all()
