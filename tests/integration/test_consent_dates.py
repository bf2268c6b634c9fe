"""Consent with dates: research sees only what was recorded while consent was in force."""

from __future__ import annotations

import httpx
from sqlalchemy import create_engine, text

from analytics import load
from tests.stack import Stack


def _ask(api: httpx.Client, headers: dict[str, str], prompt: str) -> str:
    r = api.post("/api/v1/tutor/requests", headers=headers, json={"prompt": prompt})
    assert r.status_code in (200, 202), r.text
    return r.json()["id"]


def _consent(api: httpx.Client, headers: dict[str, str], given: bool) -> None:
    r = api.patch("/api/v1/auth/me", headers=headers, json={"research_consent": given})
    assert r.status_code == 200 and r.json()["research_consent"] is given, r.text


def test_only_what_was_recorded_under_consent_is_research_data(
    api: httpx.Client, make_user, stack: Stack
) -> None:
    student = make_user(consent=False)
    before = _ask(api, student.headers, "What is a list? (asked before consenting)")
    _consent(api, student.headers, True)
    during = _ask(api, student.headers, "What is a tuple? (asked while taking part)")
    _consent(api, student.headers, False)
    after = _ask(api, student.headers, "What is a set? (asked after withdrawing)")

    loaded = load.load_interactions(
        stack.database_url, where=load.TraceFilter(user_ids=[student.id])
    )
    assert set(loaded["id"].astype(str)) == {during}
    audit = load.load_interactions(
        stack.database_url,
        where=load.TraceFilter(user_ids=[student.id], include_non_consenting=True),
    )
    assert set(audit["id"].astype(str)) == {before, during, after}

    engine = create_engine(stack.database_url)
    with engine.connect() as conn:
        records = conn.execute(
            text(
                "SELECT given, text_version, source FROM consent_records "
                "WHERE user_id = :id ORDER BY recorded_at, id"
            ),
            {"id": student.id},
        ).all()
    engine.dispose()
    assert [r.given for r in records] == [False, True, False]  # registration, yes, no
    assert records[0].source == "registration" and all(r.text_version for r in records)


def test_accounts_without_records_keep_their_flag_for_all_time(fresh_database_url: str) -> None:
    """Accounts from before consent was dated (or bulk imports) have no record."""
    engine = create_engine(fresh_database_url)
    with engine.begin() as conn:
        ids = (
            conn.execute(
                text(
                    "INSERT INTO users (email, username, password_hash, research_consent) VALUES "
                    "('old1@example.org', 'old1', 'x', true), "
                    "('old2@example.org', 'old2', 'x', false) "
                    "RETURNING id"
                )
            )
            .scalars()
            .all()
        )
        for user_id in ids:
            conn.execute(
                text(
                    "INSERT INTO interactions (id, user_id, mode, prompt, created_at) "
                    "VALUES (gen_random_uuid(), :u, 'socratic', 'q', now() - interval '400 days')"
                ),
                {"u": user_id},
            )
    engine.dispose()
    loaded = load.load_interactions(fresh_database_url)
    assert loaded["user_id"].tolist() == [ids[0]]


def _records(database_url: str, user_id: int) -> list:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT given, text_version, source, actor_id FROM consent_records "
                    "WHERE user_id = :id ORDER BY recorded_at, id"
                ),
                {"id": user_id},
            ).all()
    finally:
        engine.dispose()


def test_every_record_names_its_actor_source_and_the_text_shown(
    api: httpx.Client, make_user, stack: Stack
) -> None:
    from ainative.course.consent import CONSENT_TEXT_VERSION

    student, admin = make_user(consent=False), make_user(roles=("admin",))
    r = api.patch(
        "/api/v1/auth/me",
        headers=student.headers,
        json={"research_consent": True, "consent_text_version": "1999-01-01"},
    )
    assert r.status_code == 422, r.text  # a text the platform never showed
    r = api.patch(
        "/api/v1/auth/me",
        headers=student.headers,
        json={"research_consent": True, "consent_text_version": CONSENT_TEXT_VERSION},
    )
    assert r.status_code == 200, r.text
    r = api.patch(
        f"/api/v1/users/{student.id}", headers=admin.headers, json={"research_consent": False}
    )
    assert r.status_code == 200, r.text
    records = _records(stack.database_url, student.id)
    assert [(r.given, r.source, r.actor_id) for r in records] == [
        (False, "registration", student.id),
        (True, "student", student.id),
        (False, "admin", admin.id),  # on the student's behalf, and it says who
    ]
    assert {r.text_version for r in records} == {CONSENT_TEXT_VERSION}


def test_a_rating_given_after_withdrawal_is_not_research_data(
    api: httpx.Client, make_user, stack: Stack
) -> None:
    student = make_user(consent=True)
    asked = _ask(api, student.headers, "What is a dict? (rated after withdrawing)")
    from tests.support.api import wait_answer

    assert wait_answer(api, student.headers, asked)["status"] == "done"
    _consent(api, student.headers, False)
    r = api.post(
        f"/api/v1/tutor/requests/{asked}/rating", headers=student.headers, json={"score": 5}
    )
    assert r.status_code == 200, r.text
    where = load.TraceFilter(user_ids=[student.id])
    loaded = load.load_interactions(stack.database_url, where=where)
    assert loaded["id"].astype(str).tolist() == [asked]  # asked while taking part
    assert loaded["score"].isna().all() and loaded["rated_at"].isna().all()
    audit = load.load_interactions(
        stack.database_url,
        where=load.TraceFilter(user_ids=[student.id], include_non_consenting=True),
    )
    assert audit["score"].tolist() == [5]


def test_enrolments_count_who_took_part_while_a_member(fresh_database_url: str) -> None:
    engine = create_engine(fresh_database_url)
    with engine.begin() as conn:
        course = conn.execute(
            text("INSERT INTO courses (code, title) VALUES ('ENR1', 'e') RETURNING id")
        ).scalar_one()
        ids = (
            conn.execute(
                text(
                    "INSERT INTO users (email, username, password_hash) VALUES "
                    "('e1@example.org', 'enr1', 'x'), ('e2@example.org', 'enr2', 'x'), "
                    "('e3@example.org', 'enr3', 'x') RETURNING id"
                )
            )
            .scalars()
            .all()
        )
        for user in ids:
            conn.execute(
                text(
                    "INSERT INTO memberships (course_id, user_id, role, created_at) "
                    "VALUES (:c, :u, 'student', now() - interval '10 days')"
                ),
                {"c": course, "u": user},
            )
        for user, given, days in (
            (ids[0], True, 20),  # consented before joining, still does
            (ids[1], True, 5),  # took part, then withdrew
            (ids[1], False, 1),
            (ids[2], True, 30),  # withdrew before joining
            (ids[2], False, 15),
        ):
            conn.execute(
                text(
                    "INSERT INTO consent_records (user_id, given, recorded_at) "
                    "VALUES (:u, :g, now() - make_interval(days => :d))"
                ),
                {"u": user, "g": given, "d": days},
            )
    engine.dispose()
    enrolled = load.load_enrolments(fresh_database_url)
    assert sorted(enrolled["user_id"]) == sorted(ids[:2])
