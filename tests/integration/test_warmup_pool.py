"""Warming up a process: its pooled database connections are open before the first request."""

from __future__ import annotations

from ainative.config import Settings
from ainative.db.engine import build_engine
from ainative.runtime.warmup import fill_pool


def test_fill_pool_opens_connections_the_pool_keeps(fresh_database_url: str) -> None:
    engine = build_engine(Settings(database_url=fresh_database_url), fresh_database_url)
    try:
        assert fill_pool(engine, 4) == 4
        assert engine.pool.checkedin() == 4  # open and idle, waiting for requests
    finally:
        engine.dispose()


def test_a_database_that_is_down_does_not_stop_the_start() -> None:
    url = "postgresql+psycopg2://nobody@127.0.0.1:1/none"
    engine = build_engine(Settings(database_url=url, db_connect_timeout=1), url)
    try:
        assert fill_pool(engine, 4) == 0
    finally:
        engine.dispose()
