"""Every measure against a small hand-built trace whose answers are worked out by hand."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest

from ainative.tutor.modes import MODE_NAMES
from analytics import measures as m
from analytics.progsnap2 import pseudonym

KINDS = ["debugging", "conceptual", "implementation", "solution-request", "off-topic"]


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def interactions_frame() -> pd.DataFrame:
    """Five requests of students 1 and 2 in course 10 (2026-03-02 is a Monday)."""
    rows = [
        # one request per row (a table, hence fmt: skip)
        # user, created, kind, guardrail, code, helpful, score, status, cache, queue, llm, total
        (1, "2026-03-02 10:00", "debugging", "passed", True, True, 5, "done", False, 100, 900,
         1000),
        (1, "2026-03-02 10:10", "solution-request", "refused", False, False, None, "done", True,
         None, None, 20),
        (1, "2026-03-02 12:00", "solution-request", "rewritten", True, None, None, "done", False,
         300, 1700, 2000),
        (2, "2026-03-07 20:00", "conceptual", "passed", False, None, 4, "done", False, 200, 2800,
         3000),
        (2, "2026-03-07 20:05", None, None, False, True, None, "error", False, 400, None, 5000),
    ]  # fmt: skip
    columns = (
        "user_id created_at classification guardrail answer_has_code helpful score status "
        "cache_hit "
        "queue_ms llm_ms total_ms"
    )
    frame = pd.DataFrame(rows, columns=columns.split())
    frame["id"] = [f"i{k}" for k in range(len(frame))]
    frame["course_id"] = pd.array([10] * 5, dtype="Int64")
    frame["user_id"] = frame["user_id"].astype("Int64")
    frame["created_at"] = pd.to_datetime(frame["created_at"]).dt.tz_localize("UTC")
    frame["completed_at"] = frame["created_at"] + pd.to_timedelta(frame["total_ms"], unit="ms")
    frame["classification"] = pd.Categorical(frame["classification"], categories=KINDS)
    frame["guardrail"] = pd.Categorical(
        frame["guardrail"], categories=["passed", "rewritten", "refused"]
    )
    frame["status"] = pd.Categorical(
        frame["status"], categories=["queued", "running", "done", "error"]
    )
    frame["mode"] = pd.Categorical(["socratic"] * 5, categories=MODE_NAMES)
    for col in ("score", "queue_ms", "llm_ms", "total_ms"):
        frame[col] = frame[col].astype("Int32")
    frame["helpful"] = frame["helpful"].astype("boolean")
    frame["answer_has_code"] = frame["answer_has_code"].astype("boolean")
    frame["cache_hit"] = frame["cache_hit"].astype("boolean")
    return frame


def enrolments_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "course_id": pd.array([10, 10, 10], dtype="Int64"),
            "user_id": pd.array([1, 2, 3], dtype="Int64"),
        }
    )


def events_frame() -> pd.DataFrame:
    rows = [
        (1, "2026-03-02 09:58", False),  # fails, help at 10:00 -> 120 s
        (1, "2026-03-02 10:00:05", True),  # after the 10:00 answer (10:00:01) -> success
        (1, "2026-03-02 11:00", False),  # fails, next help 12:00 is > 30 min later -> none
        (1, "2026-03-02 12:00:03", False),  # after the 12:00 answer (12:00:02) -> failure
        (2, "2026-03-07 19:59:30", False),  # fails, help at 20:00 -> 30 s
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "occurred_at", "success"])
    frame["user_id"] = frame["user_id"].astype("Int64")
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], format="ISO8601").dt.tz_localize(
        "UTC"
    )
    frame["success"] = frame["success"].astype("boolean")
    frame["event_type"] = pd.Categorical(["cell.executed"] * len(frame))
    frame["error_type"] = pd.Categorical([None if s else "NameError" for s in frame["success"]])
    return frame


@pytest.fixture
def inter() -> pd.DataFrame:
    return interactions_frame()


def test_inputs_are_never_modified(inter: pd.DataFrame) -> None:
    before, events = inter.copy(), events_frame()
    events_before = events.copy()
    m.reach(enrolments_frame(), inter)
    m.outside_working_hours(inter, by="user_id")
    m.sessions_by_inactivity(inter)
    m.time_to_help(events, inter)
    m.next_run_after_answer(inter, events)
    m.latency_summary(inter)
    pdt.assert_frame_equal(inter, before)
    pdt.assert_frame_equal(events, events_before)


def test_reach_and_queries_per_student(inter: pd.DataFrame) -> None:
    out = m.reach(enrolments_frame(), inter)
    row = out.iloc[0]
    assert (row["enrolled"], row["users"], row["queries"]) == (3, 2, 5)
    assert row["reach"] == pytest.approx(2 / 3)
    assert row["queries_per_student"] == pytest.approx(5 / 3)
    assert row["queries_per_user"] == pytest.approx(2.5)
    assert str(out["reach"].dtype) == "Float64" and str(out["users"].dtype) == "Int64"
    per = m.queries_per_student(enrolments_frame(), inter)
    assert per.set_index("user_id")["queries"].to_dict() == {1: 3, 2: 2, 3: 0}


def test_help_by_hour_is_a_full_grid(inter: pd.DataFrame) -> None:
    out = m.help_by_hour(inter)
    assert len(out) == 7 * 24 and out["requests"].sum() == 5
    cell = out[(out["weekday"] == "Monday") & (out["hour"] == 10)]
    assert cell["requests"].item() == 2
    assert out["weekday"].cat.ordered
    shifted = m.help_by_hour(inter, tz="Europe/Berlin")  # UTC+1 in March
    assert shifted[(shifted["weekday"] == "Monday") & (shifted["hour"] == 11)]["requests"].item()


def test_outside_working_hours(inter: pd.DataFrame) -> None:
    overall = m.outside_working_hours(inter)
    # Monday 10:00, 10:10, 12:00 are inside; both Saturday requests are outside.
    assert (overall["requests"].item(), overall["outside"].item()) == (5, 2)
    assert overall["share"].item() == pytest.approx(0.4)
    per_user = m.outside_working_hours(inter, by="user_id").set_index("user_id")
    assert per_user.loc[1, "share"] == 0 and per_user.loc[2, "share"] == 1
    early = m.outside_working_hours(inter, start_hour=11)
    assert early["outside"].item() == 4


def test_hours_to_deadline_and_profile(inter: pd.DataFrame) -> None:
    deadlines = pd.DataFrame(
        {
            "course_id": pd.array([10, 10], dtype="Int64"),
            "deadline": [ts("2026-03-02 16:00"), ts("2026-03-08 00:00")],
        }
    )
    hours = m.hours_to_deadline(inter, deadlines)
    assert hours.tolist() == pytest.approx([6.0, 35 / 6, 4.0, 4.0, 3 + 55 / 60])
    assert hours.index.equals(inter.index)
    profile = m.deadline_profile(hours).set_index("window")
    assert profile["requests"].sum() == 5
    assert profile["requests"].iloc[0] == 4  # [0, 6): all but the 10:00 one (exactly 6 h)
    assert profile["requests"].iloc[1] == 1
    late = inter.assign(created_at=inter["created_at"] + pd.Timedelta(days=30))
    assert m.hours_to_deadline(late, deadlines).isna().all()


def test_request_mix_and_solution_seeking(inter: pd.DataFrame) -> None:
    mix = m.request_mix(inter).set_index("classification")
    assert mix["requests"].to_dict() == {"debugging": 1, "conceptual": 1, "solution-request": 2}
    assert mix.loc["solution-request", "share"] == pytest.approx(0.5)
    seeking = m.solution_seeking(inter).set_index("user_id")
    assert seeking.loc[1, "ratio"] == pytest.approx(2 / 3)
    assert seeking.loc[2, "requests"] == 1 and seeking.loc[2, "ratio"] == 0  # unclassified out
    by_user = m.request_mix(inter, by="user_id")
    assert by_user.groupby("user_id")["share"].sum().tolist() == pytest.approx([1.0, 1.0])


def test_guardrail_outcomes(inter: pd.DataFrame) -> None:
    out = m.guardrail_outcomes(inter).set_index("guardrail")
    assert out["answers"].to_dict() == {"passed": 2, "rewritten": 1, "refused": 1}
    assert out.loc["passed", "share"] == pytest.approx(0.5)
    assert out.loc["passed", "with_code"] == 1 and out.loc["rewritten", "with_code_share"] == 1
    by_kind = m.guardrail_outcomes(inter, by="classification")
    sol = by_kind[by_kind["classification"] == "solution-request"].set_index("guardrail")
    assert sol["share"].to_dict() == {"rewritten": 0.5, "refused": 0.5}


def test_ratings_keep_the_two_scales_apart(inter: pd.DataFrame) -> None:
    scores = m.rating_distribution(inter).set_index("score")
    assert scores["ratings"].to_dict() == {4: 1, 5: 1}
    assert str(scores.index.dtype) == "Int64" and scores["share"].sum() == pytest.approx(1.0)
    thumbs = m.rating_distribution(inter, scale="helpful").set_index("helpful")
    assert thumbs["ratings"].to_dict() == {False: 1, True: 2}  # the errored answer too
    assert str(thumbs.index.dtype) == "boolean"
    summary = m.rating_summary(inter).iloc[0].to_dict()
    assert summary == {
        "answers": 4,  # done only: the errored request's thumbs-up is not an answer's
        "rated": 3,
        "rated_share": pytest.approx(0.75),
        "helpful_votes": 2,
        "helpful_share": pytest.approx(0.5),
        "scored": 2,
        "mean_score": pytest.approx(4.5),  # the thumbs are not averaged in
    }
    by = m.rating_summary(inter, by="guardrail").set_index("guardrail")
    assert by["helpful_votes"].to_dict() == {"passed": 1, "rewritten": 0, "refused": 1}
    assert by.loc["refused", "helpful_share"] == 0.0 and pd.isna(by.loc["refused", "mean_score"])
    assert pd.isna(by.loc["rewritten", "helpful_share"]) and by.loc["rewritten", "rated"] == 0
    assert by.loc["passed", "mean_score"] == pytest.approx(4.5)
    assert {str(t) for t in by.dtypes} == {"Int64", "Float64"}


def test_sessions_by_inactivity(inter: pd.DataFrame) -> None:
    out = m.sessions_by_inactivity(inter, gap="30min")
    # user 1: 10:00+10:10 | 12:00 ; user 2: 20:00+20:05
    assert out["turns"].tolist() == [2, 1, 2]
    assert out["session"].tolist() == [1, 2, 1]
    assert out["length_s"].tolist() == pytest.approx([600.0, 0.0, 300.0])
    assert m.sessions_by_inactivity(inter, gap="3h")["turns"].tolist() == [3, 2]


def test_time_to_help() -> None:
    out = m.time_to_help(events_frame(), interactions_frame(), keep=["error_type"])
    assert len(out) == 4  # the four failing runs
    assert out["seconds"].tolist()[0] == pytest.approx(120.0)
    assert out["helped"].tolist() == [True, False, False, True]  # 12:00:03 has no later help
    assert out["seconds"].iloc[3] == pytest.approx(30.0)
    assert out["error_type"].eq("NameError").all()
    wide = m.time_to_help(events_frame(), interactions_frame(), window="2h")
    assert wide["seconds"].iloc[1] == pytest.approx(3600.0)


def test_next_run_after_answer() -> None:
    out = m.next_run_after_answer(interactions_frame(), events_frame()).set_index("id")
    assert len(out) == 4  # the errored request has no answer
    assert out.loc["i0", "next_success"] == True  # noqa: E712  (run at 10:00:05)
    assert out.loc["i0", "seconds"] == pytest.approx(4.0)
    assert out.loc["i2", "next_success"] == False  # noqa: E712
    assert pd.isna(out.loc["i3", "next_success"])  # no later run of user 2
    assert str(out["next_success"].dtype) == "boolean"


def test_latency_summary(inter: pd.DataFrame) -> None:
    out = m.latency_summary(inter)
    total_miss = out[(out["cache_hit"] == False) & (out["measure"] == "total_ms")]  # noqa: E712
    assert total_miss["count"].item() == 4
    assert total_miss["p50"].item() == pytest.approx(2500.0)
    assert total_miss["mean"].item() == pytest.approx(2750.0)
    hit = out[(out["cache_hit"] == True) & (out["measure"] == "total_ms")]  # noqa: E712
    assert hit["p99"].item() == pytest.approx(20.0)
    assert out[out["cache_hit"] == True]["measure"].tolist() == ["total_ms"]  # noqa: E712
    overall = m.latency_summary(inter, by=None, measures=["queue_ms"], quantiles=[0.5])
    assert overall["p50"].item() == pytest.approx(250.0)


def test_cache_hit_and_error_rates(inter: pd.DataFrame) -> None:
    cache = m.cache_hit_rate(inter, freq="D")
    assert cache["requests"].tolist() == [3, 2]
    assert cache["hit_rate"].tolist() == pytest.approx([1 / 3, 0.0])
    errors = m.error_rate(inter, freq="D")
    assert errors["errors"].tolist() == [0, 1]
    assert errors["error_rate"].tolist() == pytest.approx([0.0, 0.5])


def test_pseudonyms_are_keyed_and_stable() -> None:
    assert pseudonym(7, "k1") == pseudonym(7, "k1")
    assert pseudonym(7, "k1") != pseudonym(7, "k2")
    assert pseudonym(7, "k1") != pseudonym(8, "k1")
    assert "7" != pseudonym(7, "k1")
