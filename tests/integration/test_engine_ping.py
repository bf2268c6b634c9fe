"""The idle ping at checkout leaves the connection outside any transaction, so a raw
DBAPI user (the analytics COPY path) can still set its transaction's isolation level."""

from __future__ import annotations

import psycopg2.extensions as ext

from ainative.config import Settings
from ainative.db import engine as engines


def test_a_pinged_connection_is_idle_and_ready_for_set_transaction(
    fresh_database_url: str, monkeypatch
) -> None:
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout pings
    engine = engines.build_engine(Settings(database_url=fresh_database_url), fresh_database_url)
    try:
        engine.raw_connection().close()  # checked in once: "idle since" is set
        conn = engine.raw_connection()  # this checkout pings
        try:
            assert conn.dbapi_connection.info.transaction_status == ext.TRANSACTION_STATUS_IDLE
            with conn.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cur.execute("SELECT 1")
                assert cur.fetchone() == (1,)
        finally:
            conn.rollback()
            conn.close()
    finally:
        engine.dispose()
