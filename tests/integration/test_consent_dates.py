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
