"""The interaction reads select the columns their readers use, not `*`.

Every reader of one interaction (the long-poll, the stream's final event, the list, a
repeated client_request_id, the 202/200 of a question) turns the row into
InteractionPublic; the access check reads `user_id`. A field added to InteractionPublic
without its column here would silently be missing from every answer.
"""

from __future__ import annotations

from sqlalchemy import inspect

from ainative.db.models import Interaction
from ainative.tutor.repository import INSERT_SQL, READ_COLUMNS
from api.schemas.tutor import InteractionPublic


def test_every_public_field_and_the_owner_is_read() -> None:
    assert set(InteractionPublic.model_fields) <= set(READ_COLUMNS)
    assert "user_id" in READ_COLUMNS


def test_every_read_column_exists_and_the_llm_side_is_left_out() -> None:
    columns = {c.key for c in inspect(Interaction).columns}
    assert set(READ_COLUMNS) <= columns
    assert not {"messages", "raw_answer", "decoding", "context", "leak"} & set(READ_COLUMNS)


def test_the_insert_returns_the_read_columns() -> None:
    returning = str(INSERT_SQL).rsplit("RETURNING", 1)[1]
    assert [c.strip() for c in returning.split(",")] == list(READ_COLUMNS)
