"""Hand-offs to a person in the research trace: loaders, the reply-time measure, ProgSnap2.

A seeded cohort (with an experiment); escalations made through the platform's own queue
(ainative.escalation.queue: create, claim, reply, resolve, withdraw) by two consenting
students and one who declined, then their times pinned so the numbers are exact.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from ainative.course.courses import add_member
from ainative.db.engine import session_scope
from ainative.escalation import queue
from analytics.load_escalations import load_escalations, load_replies
from analytics.progsnap2 import export_progsnap2, pseudonym
from analytics.reply_times import time_to_first_reply
from analytics.synth import CohortSpec, ExperimentSpec, generate
from analytics.synth_write import write
from analytics.trace_filter import TraceFilter
from tests.progsnap2_reader import check

END = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
T0 = END + timedelta(hours=1)
KEY = "test-escalation-key"


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _student_session(conn, consent: bool, skip: tuple[int, ...] = ()) -> tuple[int, str]:
    row = conn.execute(
        text(
            "SELECT s.user_id, s.id FROM tutor_sessions s JOIN users u ON u.id = s.user_id "
            "WHERE u.research_consent = :c AND s.user_id <> ALL(:skip) "
            "AND EXISTS (SELECT 1 FROM interactions i WHERE i.session_id = s.id) "
            "ORDER BY s.user_id, s.started_at DESC LIMIT 1"
        ),
        {"c": consent, "skip": list(skip) or [0]},
    ).one()
    return int(row[0]), str(row[1])


def _pin(conn, escalation_id: str, **times: float) -> None:
    sets = ", ".join(f"{name} = :{name}" for name in times)
    conn.execute(
        text(f"UPDATE escalations SET {sets} WHERE id = CAST(:id AS uuid)"),
        {"id": escalation_id, **{k: _at(v) for k, v in times.items()}},
    )


def _pin_replies(conn, escalation_id: str, *seconds: float) -> None:
    ids = conn.execute(
        text(
            "SELECT id FROM escalation_replies WHERE escalation_id = CAST(:e AS uuid) ORDER BY id"
        ),
        {"e": escalation_id},
    ).scalars()
    for reply_id, s in zip(ids, seconds, strict=True):
        conn.execute(
            text("UPDATE escalation_replies SET created_at = :t WHERE id = :i"),
            {"t": _at(s), "i": reply_id},
        )


@pytest.fixture(scope="module")
def handoffs(services) -> Iterator[dict]:
    url = services.create_database()
    spec = CohortSpec(
        students=10,
        days=4,
        seed=5,
        consent_rate=0.6,
        end=END,
        experiment=ExperimentSpec(name="Hints study"),
    )
    write(generate(spec), url, password_hash="$2b$04$" + "z" * 53)
    engine = create_engine(url)
    with engine.begin() as conn:
        course = int(conn.execute(text("SELECT id FROM courses")).scalar_one())
        instructor = int(
            conn.execute(text("SELECT user_id FROM memberships WHERE role = 'instructor'")).scalar()
        )
        ta = int(
            conn.execute(
                text(
                    "INSERT INTO users (email, username, password_hash, roles) VALUES "
                    "('ta.person@example.org', 'tamsin', :h, '{student}') RETURNING id"
                ),
                {"h": "$2b$04$" + "t" * 53},
            ).scalar_one()
        )
        a, a_session = _student_session(conn, True)
        c, c_session = _student_session(conn, True, (a,))
        b, b_session = _student_session(conn, False)
    made: dict[str, str] = {}
    with session_scope(engine) as s:
        add_member(s, course_id=course, user_id=ta, role="assistant")
    asks = {
        "e1": (a, a_session, "I still get a KeyError"),
        "e2": (c, c_session, "can someone look at my loop?"),
        "e4": (b, b_session, "help please"),
    }
    for name, (user, session_id, line) in asks.items():
        with session_scope(engine) as s:
            row = queue.create(
                s,
                user_id=user,
                session_id=uuid.UUID(session_id),
                request=queue.Request(message=line),
            )
            made[name] = str(row["id"])
    staff_ta, staff_instructor = queue.Caller(ta), queue.Caller(instructor)
    with session_scope(engine) as s:
        queue.claim(s, caller=staff_ta, escalation_id=made["e1"])
        queue.reply(
            s, caller=staff_ta, escalation_id=made["e1"], body="Print the dict, tamsin here"
        )
        queue.reply(s, caller=staff_ta, escalation_id=made["e1"], body="come to my desk")
        queue.resolve(s, caller=staff_ta, escalation_id=made["e1"])
        queue.claim(s, caller=staff_instructor, escalation_id=made["e2"])
        queue.reply(s, caller=staff_instructor, escalation_id=made["e2"], body="range(n)")
        queue.claim(s, caller=staff_ta, escalation_id=made["e4"])
        queue.reply(s, caller=staff_ta, escalation_id=made["e4"], body="look at line 3")
    with session_scope(engine) as s:  # e1 is resolved: the session may ask again
        row = queue.create(
            s, user_id=a, session_id=uuid.UUID(a_session), request=queue.Request("again")
        )
        made["e3"] = str(row["id"])
        queue.withdraw(s, user_id=a, escalation_id=made["e3"])
    with engine.begin() as conn:
        _pin(conn, made["e1"], created_at=0, claimed_at=60, first_reply_at=120, resolved_at=400)
        _pin_replies(conn, made["e1"], 120, 300)
        _pin(conn, made["e2"], created_at=10, claimed_at=40, first_reply_at=610)
        _pin_replies(conn, made["e2"], 610)
        _pin(conn, made["e3"], created_at=1000, withdrawn_at=1030)
        _pin(conn, made["e4"], created_at=20, claimed_at=30, first_reply_at=50)
        _pin_replies(conn, made["e4"], 50)
        arms = dict(
            conn.execute(
                text(
                    "SELECT e.id::text, i.arm_id FROM escalations e "
                    "JOIN interactions i ON i.id = e.interaction_id"
                )
            ).all()
        )
        turns = dict(
            conn.execute(
                text(
                    "SELECT s.id::text, count(i.id) FROM tutor_sessions s "
                    "JOIN interactions i ON i.session_id = s.id GROUP BY s.id"
                )
            ).all()
        )
    engine.dispose()
    yield {
        "url": url,
        "ids": made,
        "course": course,
        "students": {"a": a, "b": b, "c": c},
        "staff": {"ta": ta, "instructor": instructor},
        "sessions": {"a": a_session, "c": c_session},
        "arms": arms,
        "turns": turns,
    }
    services.drop_database(url)


def test_the_escalation_loader(handoffs: dict) -> None:
    ids, students, staff = handoffs["ids"], handoffs["students"], handoffs["staff"]
    frame = load_escalations(handoffs["url"]).set_index("id")
    assert set(frame.index) == {ids["e1"], ids["e2"], ids["e3"]}  # not the declining student's
    assert students["b"] not in set(frame["user_id"])
    e1, e2, e3 = frame.loc[ids["e1"]], frame.loc[ids["e2"]], frame.loc[ids["e3"]]
    assert (e1["status"], e2["status"], e3["status"]) == ("resolved", "answered", "withdrawn")
    assert (e1["waiting_s"], e1["first_reply_s"], e1["replies"]) == (60.0, 120.0, 2)
    assert (e2["waiting_s"], e2["first_reply_s"], e2["replies"]) == (30.0, 600.0, 1)
    assert pd.isna(e3["waiting_s"]) and pd.isna(e3["first_reply_s"]) and e3["replies"] == 0
    assert e3["withdrawn_at"] == pd.Timestamp(_at(1030)) and pd.isna(e3["claimed_by"])
    assert (e1["claimed_by"], e1["claimed_by_role"]) == (staff["ta"], "assistant")
    assert (e1["resolved_by"], e1["resolved_by_role"]) == (staff["ta"], "assistant")
    assert (e2["claimed_by"], e2["claimed_by_role"]) == (staff["instructor"], "instructor")
    assert e1["resolved_at"] == pd.Timestamp(_at(400)) and pd.isna(e2["resolved_at"])
    assert e1["tutor_turns"] == handoffs["turns"][handoffs["sessions"]["a"]] > 0
    assert e2["tutor_turns"] == handoffs["turns"][handoffs["sessions"]["c"]] > 0
    assert e1["arm_id"] == handoffs["arms"][ids["e1"]] and pd.notna(e1["arm_id"])
    assert str(frame["first_reply_s"].dtype) == "Float64"
    assert isinstance(frame["status"].dtype, pd.CategoricalDtype)
    assert str(frame["created_at"].dt.tz) == "UTC" and "message" not in frame
    for forbidden in ("email", "username", "snapshot"):
        assert not any(forbidden in c for c in frame.columns)
    audit = load_escalations(handoffs["url"], where=TraceFilter(include_non_consenting=True))
    assert set(audit["id"]) == set(ids.values())
    texts = load_escalations(handoffs["url"], include_text=True).set_index("id")
    assert texts.loc[ids["e2"], "message"] == "can someone look at my loop?"
    mine = load_escalations(handoffs["url"], where=TraceFilter(user_ids=[students["a"]]))
    assert set(mine["id"]) == {ids["e1"], ids["e3"]}


def test_the_reply_loader(handoffs: dict) -> None:
    ids, staff = handoffs["ids"], handoffs["staff"]
    replies = load_replies(handoffs["url"], include_text=True)
    assert len(replies) == 3  # e4's reply belongs to a student who declined
    assert set(replies["escalation_id"]) == {ids["e1"], ids["e2"]}
    assert replies["since_escalation_s"].tolist() == [120.0, 300.0, 600.0]
    assert replies["author_id"].tolist() == [staff["ta"], staff["ta"], staff["instructor"]]
    assert replies["author_role"].astype(str).tolist() == ["assistant", "assistant", "instructor"]
    assert replies["text"].tolist()[1] == "come to my desk"
    audit = load_replies(handoffs["url"], where=TraceFilter(include_non_consenting=True))
    assert len(audit) == 4


def test_time_to_first_human_reply(handoffs: dict) -> None:
    frame = load_escalations(handoffs["url"])
    by_course = time_to_first_reply(frame)
    row = by_course.iloc[0]
    assert by_course["course_id"].tolist() == [handoffs["course"]]
    assert (row["escalations"], row["replied"]) == (3, 2)
    assert row["reply_share"] == pytest.approx(2 / 3)
    assert row["median_s"] == 360.0  # (120 + 600) / 2
    assert row["p90_s"] == pytest.approx(552.0)  # 120 + 0.9 * (600 - 120)
    overall = time_to_first_reply(frame, by=None)
    assert overall["escalations"].tolist() == [3] and overall["median_s"].tolist() == [360.0]
    by_arm = time_to_first_reply(frame, by="arm_id").set_index("arm_id")
    arms = handoffs["arms"]
    expected: dict[int, list[float]] = {}
    for name, seconds in (("e1", 120.0), ("e2", 600.0)):
        expected.setdefault(int(arms[handoffs["ids"][name]]), []).append(seconds)
    for arm, values in expected.items():
        assert by_arm.loc[arm, "median_s"] == pd.Series(values).median()
    assert int(by_arm["escalations"].sum()) == 3
    assert str(by_arm["median_s"].dtype) == "Float64"


def test_progsnap2_exports_the_handoffs(handoffs: dict, tmp_path) -> None:
    out = tmp_path / "ps2"
    export_progsnap2(out, handoffs["url"], key=KEY, progress=False)
    assert check(out) == []
    main = pd.read_csv(out / "MainTable.csv", dtype=str, keep_default_na=False)
    rows = main[main["EventType"].str.startswith("X-Escalation.")]
    counts = rows["EventType"].value_counts().to_dict()
    assert counts == {
        "X-Escalation.Request": 3,
        "X-Escalation.Claim": 2,
        "X-Escalation.Reply": 3,
        "X-Escalation.Resolve": 1,
        "X-Escalation.Withdraw": 1,
    }
    students, staff = handoffs["students"], handoffs["staff"]
    student_kinds = rows["EventType"].isin(["X-Escalation.Request", "X-Escalation.Withdraw"])
    assert set(rows.loc[student_kinds, "EventInitiator"]) == {"UserDirectAction"}
    assert set(rows.loc[~student_kinds, "EventInitiator"]) == {"InstructorDirectAction"}
    assert set(rows["SubjectID"]) == {pseudonym(students["a"], KEY), pseudonym(students["c"], KEY)}
    assert pseudonym(students["b"], KEY) not in set(main["SubjectID"])
    claims = rows[rows["EventType"] == "X-Escalation.Claim"]
    assert set(claims["X-StaffID"]) == {
        pseudonym(staff["ta"], KEY),
        pseudonym(staff["instructor"], KEY),
    }
    assert set(claims["X-StaffRole"]) == {"assistant", "instructor"}
    requests = rows[rows["EventType"] == "X-Escalation.Request"].set_index("EventID")
    assert set(rows.loc[~rows["EventType"].eq("X-Escalation.Request"), "ParentEventID"]) <= set(
        requests.index
    )
    assert sorted(requests["X-TutorTurns"].astype(int)) == sorted(
        [handoffs["turns"][handoffs["sessions"]["a"]]] * 2
        + [handoffs["turns"][handoffs["sessions"]["c"]]]
    )
    replies = rows[rows["EventType"] == "X-Escalation.Reply"]
    assert "come to my desk" in set(replies["X-ReplyMessage"])
    assert replies["X-ReplyMessage"].str.contains("<name>").any()  # scrubbed: the TA's username
    raw = (out / "MainTable.csv").read_text()
    assert "tamsin" not in raw and "ta.person@example.org" not in raw
    codebook = (out / "codebook.csv").read_text()
    for name in (*counts, "X-StaffID", "X-StaffRole", "X-ReplyMessage", "X-TutorTurns"):
        assert f",{name}," in codebook, name
    assert "InstructorDirectAction" in codebook


def test_drop_mode_empties_the_texts_of_handoffs(handoffs: dict, tmp_path) -> None:
    out = tmp_path / "drop"
    export_progsnap2(out, handoffs["url"], key=KEY, progress=False, text="drop")
    assert check(out) == []
    main = pd.read_csv(out / "MainTable.csv", dtype=str, keep_default_na=False)
    rows = main[main["EventType"].str.startswith("X-Escalation.")]
    assert len(rows) == 10
    assert (rows["X-ReplyMessage"] == "").all() and (rows["X-HelpMessage"] == "").all()
    raw = (out / "MainTable.csv").read_text()
    assert "come to my desk" not in raw and "I still get a KeyError" not in raw
