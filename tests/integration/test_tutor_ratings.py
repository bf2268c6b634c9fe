"""Ratings on two scales: helpful (the thumbs) and a 1-5 score, set apart and recorded."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from tests.support.api import REQUESTS, wait_answer
from tests.support.db import row_of


def _answered(api, student) -> str:
    body = {"prompt": f"Why does my loop stop early? {uuid.uuid4().hex}"}
    r = api.post(REQUESTS, json=body, headers=student.headers)
    assert r.status_code == 202, r.text
    interaction_id = r.json()["id"]
    assert wait_answer(api, student.headers, interaction_id)["status"] == "done"
    return interaction_id


def _rated_payloads(db, interaction_id: str) -> list[dict]:
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT payload FROM events WHERE event_type = 'interaction.rated'"
                " AND interaction_id = CAST(:i AS uuid) ORDER BY id"
            ),
            {"i": interaction_id},
        )
        return [r[0] for r in rows]


def test_each_call_sets_what_it_sends_and_keeps_the_other(api, make_user, db) -> None:
    student = make_user()
    interaction_id = _answered(api, student)
    url = f"{REQUESTS}/{interaction_id}/rating"
    steps = [
        ({"helpful": True}, (True, None)),
        ({"score": 4, "comment": "clear, thanks"}, (True, 4)),
        ({"helpful": False}, (False, 4)),
        ({"helpful": True, "score": 2}, (True, 2)),
    ]
    for body, (helpful, score) in steps:
        r = api.post(url, json=body, headers=student.headers)
        assert r.status_code == 200, r.text
        assert (r.json()["helpful"], r.json()["score"]) == (helpful, score), body
    row = row_of(db, interaction_id)
    assert (row["helpful"], row["score"]) == (True, 2) and row["rated_at"] is not None
    read = api.get(f"{REQUESTS}/{interaction_id}", headers=student.headers).json()
    assert (read["helpful"], read["score"]) == (True, 2)
    assert _rated_payloads(db, interaction_id) == [
        {"helpful": True, "score": None, "comment": None},
        {"helpful": True, "score": 4, "comment": "clear, thanks"},
        {"helpful": False, "score": 4, "comment": None},
        {"helpful": True, "score": 2, "comment": None},
    ]


INVALID = [
    ({"rating": 1}, "`rating` is no longer accepted: send helpful (true or false)"),
    ({"rating": 4, "score": 4}, "and/or score (a whole number from 1 to 5)"),
    ({}, "send helpful (true or false), a score (a whole number from 1 to 5), or both"),
    ({"helpful": None, "score": None}, "send helpful (true or false)"),
    ({"comment": "great"}, "send helpful (true or false)"),
    ({"score": 0}, "score: must be a whole number from 1 to 5, not 0"),
    ({"score": 6}, "score: must be a whole number from 1 to 5, not 6"),
    ({"score": 4.5}, "score: must be a whole number from 1 to 5"),
    ({"score": "4"}, "score: must be a whole number from 1 to 5"),
    ({"score": True}, "score: must be a whole number from 1 to 5"),
    ({"helpful": "yes"}, "helpful: must be true or false"),
    ({"helpful": 1}, "helpful: must be true or false"),
]


def test_invalid_ratings_get_a_readable_422_and_change_nothing(api, make_user, db) -> None:
    student = make_user()
    interaction_id = _answered(api, student)
    url = f"{REQUESTS}/{interaction_id}/rating"
    for body, message in INVALID:
        r = api.post(url, json=body, headers=student.headers)
        assert r.status_code == 422, (body, r.text)
        assert message in r.json()["detail"], (body, r.json()["detail"])
        assert "Input should" not in r.json()["detail"], body  # pydantic's wording, not ours
    row = row_of(db, interaction_id)
    assert (row["helpful"], row["score"], row["rated_at"]) == (None, None, None)
    assert _rated_payloads(db, interaction_id) == []


def test_only_the_owner_rates_and_an_unknown_answer_is_404(api, make_user, db) -> None:
    owner, other = make_user(), make_user()
    interaction_id = _answered(api, owner)
    foreign = api.post(
        f"{REQUESTS}/{interaction_id}/rating", json={"score": 5}, headers=other.headers
    )
    assert foreign.status_code == 404
    unknown = api.post(
        f"{REQUESTS}/{uuid.uuid4()}/rating", json={"helpful": True}, headers=owner.headers
    )
    assert unknown.status_code == 404
    assert row_of(db, interaction_id)["score"] is None


def test_notebook_client_rates_on_either_scale(api, make_user, stack, db) -> None:
    from ainative.notebook import TutorClient
    from ainative.notebook.client import TutorClientError

    student = make_user()
    interaction_id = _answered(api, student)
    with TutorClient(stack.api_url, student.access_token, student.refresh_token) as client:
        client.rate(interaction_id, helpful=False)  # what the widget's thumbs send
        row = row_of(db, interaction_id)
        assert (row["helpful"], row["score"]) == (False, None)
        client.rate(interaction_id, score=3)
        with pytest.raises(TutorClientError, match="send helpful"):
            client.rate(interaction_id)
    row = row_of(db, interaction_id)
    assert (row["helpful"], row["score"]) == (False, 3)
