"""One pooled engine per process.

Engines are never shared across fork(): `get_engine` keys its cache by pid, and
Celery's prefork children call `dispose_after_fork` from worker_process_init.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import anyio
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as exc_module
from sqlalchemy.orm import Session

from ainative.config import Settings, get_settings

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")
_lock = threading.Lock()
_engines: dict[tuple[int, str], Engine] = {}


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and pin the psycopg2 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout only if it sat idle: a busy pool pays no round trip.

    pool_pre_ping would add a `SELECT 1` to every checkout (the hot path checks out per
    statement). A connection reused within seconds was just shown to work; one idle
    longer may have been closed by a restart or a firewall, so it is pinged, and a
    failed ping makes the pool replace it (DisconnectionError) before anyone uses it.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            # The ping opened a transaction (psycopg2 is not in autocommit): end it, or the
            # caller's SET TRANSACTION / autocommit switch fails on a connection "in use".
            dbapi_connection.rollback()
        except Exception as exc:
            raise exc_module.DisconnectionError() from exc


def build_engine(
    settings: Settings, url: str | None = None, *, pool_timeout: float | None = None
) -> Engine:
    """Create a pooled engine from settings (pre-ping, LIFO, connect and statement timeouts)."""
    url = normalise_url(url or settings.database_url)
    if not url:
        raise RuntimeError("DATABASE_URL is not set (the launcher and tests set it for you)")
    options = f"-c statement_timeout={settings.db_statement_timeout_ms}"
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout if pool_timeout is None else pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        pool_use_lifo=True,
        connect_args={
            "connect_timeout": settings.db_connect_timeout,
            "options": options,
            "application_name": os.environ.get("AINATIVE_PROCESS", "ainative"),
        },
    )
    _ping_when_idle(engine)
    return engine


def get_engine(url: str | None = None, *, pool_timeout: float | None = None) -> Engine:
    """The engine of this process for `url` (default DATABASE_URL), created once.

    `pool_timeout` applies when this call creates it: the API's start-up creates the
    process's engine first, with the short wait its requests can afford.
    """
    settings = get_settings()
    key = (os.getpid(), url or settings.database_url)
    engine = _engines.get(key)
    if engine is None:
        with _lock:
            engine = _engines.get(key)
            if engine is None:
                engine = _engines[key] = build_engine(settings, url, pool_timeout=pool_timeout)
    return engine


@contextmanager
def autocommit(engine: Engine | None = None) -> Iterator[Connection]:
    """A pooled connection where each statement commits itself: one round trip per write."""
    with (engine or get_engine()).connect() as conn:
        try:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")
        finally:
            _leave_autocommit(conn)


def _leave_autocommit(conn: Connection) -> None:
    """Give the connection its default isolation level back before it returns to the pool.

    The pool would do it at check-in, where a server that went away in the meantime raised
    a bare psycopg2.OperationalError: the work was done (each statement had committed) yet
    its caller failed (the API's question INSERT answered 500, in tests/faults'
    postgres_restart), and the pool never got the connection back. Done here, such a
    failure invalidates the connection, which the pool then replaces; the check-in's own
    reset finds nothing left to change.
    """
    if conn.invalidated or conn.closed:
        return
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is None:
        return
    try:
        conn.dialect.reset_isolation_level(dbapi_connection)
    except conn.dialect.loaded_dbapi.Error as exc:
        log.warning("connection lost after its statements committed; replaced: %s", exc)
        conn.invalidate()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commits on success, rolls back on error, then returns the connection.

    Services take a Session and never commit; their callers own the transaction here:
    the CLI and the hub directly, the API's routes through `run_in_session` (state.db).
    """
    with Session(engine or get_engine(), expire_on_commit=False) as session, session.begin():
        yield session


async def run_in_session(
    engine: Engine,
    fn: Callable[Concatenate[Session, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run fn(session, ...) in one transaction in the thread pool, as one thread call.

    Checkout, statements, commit (or rollback) and return to the pool all happen inside
    that call, which anyio finishes even when the awaiting request is cancelled: no
    connection is held across an await, and none is left checked out by a client that
    gave up. The objects returned are detached, their loaded attributes kept.
    """

    def call() -> T:
        with session_scope(engine) as session:
            return fn(session, *args, **kwargs)

    return await anyio.to_thread.run_sync(call)


class Db(Protocol):
    """The API's one way to the database (`ApiState.db`, built on `run_in_session`):
    fn(session, ...) in one transaction, in a worker thread. Async services that await
    Redis between statements (tutor.submit, the long-poll, the stream relay) take it."""

    async def __call__(
        self, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T: ...


def on_connection(
    fn: Callable[Concatenate[Connection, P], T],
) -> Callable[Concatenate[Session, P], T]:
    """A service written on a Connection (SQLAlchemy Core), run on a session's connection,
    in the session's transaction: `state.db(on_connection(experiments.list_experiments), ...)`."""

    @functools.wraps(fn)
    def call(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return fn(session.connection(), *args, **kwargs)

    return call


def dispose_after_fork() -> None:
    """Drop connections inherited from a parent process without closing the parent's sockets."""
    for (pid, _), engine in list(_engines.items()):
        if pid != os.getpid():
            engine.dispose(close=False)
    _engines.clear()


def pool_status(engine: Engine | None = None) -> dict[str, Any]:
    """Pool figures for health and metrics: size, checked out, overflow, idle."""
    pool = (engine or get_engine()).pool
    status: dict[str, Any] = {"class": type(pool).__name__}
    for name in ("size", "checkedout", "overflow", "checkedin"):
        fn = getattr(pool, name, None)
        if callable(fn):
            status[name] = fn()
    status["max_overflow"] = get_settings().db_max_overflow
    return status
