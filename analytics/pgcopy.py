"""PostgreSQL COPY into typed pandas frames: the bulk path under ``analytics.load``.

``COPY (SELECT ...) TO STDOUT WITH CSV`` avoids building a Python tuple per row, which is
where ``pandas.read_sql`` spends its time; pyarrow's CSV reader then parses the bytes
into typed columns with the GIL released. PostgreSQL formats COPY output in one backend
per connection, so large loads are split over a few connections by a partition
expression (rows where ``expr % n = k``), all reading one exported snapshot so the parts
are consistent, and parsed while the other parts still stream in.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from ainative.db.engine import get_engine, normalise_url
from analytics import pgbinary

Source = str | Engine | None
TS = pa.timestamp("us", tz="UTC")
CAT = pa.dictionary(pa.int32(), pa.string())
PARALLEL_MIN_ROWS = 200_000
_PANDAS_TYPES = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.float64(): pd.Float64Dtype(),
}


@dataclass(frozen=True)
class Column:
    """One output column: its SQL expression, its arrow type, fixed categories if any.

    `wire` is what the binary path selects instead of `sql` when they differ (a uuid
    rather than its text: 16 bytes on the wire, formatted client-side).
    """

    name: str
    sql: str
    type: pa.DataType
    categories: tuple[str, ...] | None = None
    wire: str | None = None


@contextmanager
def engine_for(source: Source) -> Iterator[Engine]:
    """An Engine for a URL (created and disposed here), an Engine, or Settings' default."""
    if isinstance(source, str):
        engine = create_engine(normalise_url(source), poolclass=NullPool)
        try:
            yield engine
        finally:
            engine.dispose()
    else:
        yield source if source is not None else get_engine()


@contextmanager
def raw_connection(source: Source = None) -> Iterator[Any]:
    """A DBAPI (psycopg2) connection; rolled back and closed afterwards."""
    with engine_for(source) as engine:
        conn = engine.raw_connection()
        try:
            yield conn
        finally:
            conn.rollback()
            conn.close()


def _read(data: memoryview, columns: Sequence[Column], multiline: bool) -> pa.Table:
    return pcsv.read_csv(
        pa.py_buffer(data),
        parse_options=pcsv.ParseOptions(newlines_in_values=multiline),
        convert_options=pcsv.ConvertOptions(
            column_types={c.name: c.type for c in columns},
            true_values=["t"],
            false_values=["f"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )


def to_frame(table: pa.Table, columns: Sequence[Column]) -> pd.DataFrame:
    """Arrow table -> pandas with nullable ints/booleans and fixed categories."""
    frame = table.unify_dictionaries().to_pandas(types_mapper=_PANDAS_TYPES.get)
    for col in columns:
        if col.type == CAT:
            cats = col.categories
            if cats is None:
                cats = tuple(sorted(str(v) for v in frame[col.name].cat.categories))
            frame[col.name] = frame[col.name].cat.set_categories(list(cats))
    return frame


def parse_csv(
    data: bytes | memoryview, columns: Sequence[Column], multiline: bool = False
) -> pd.DataFrame:
    """Parse PostgreSQL CSV (NULL unquoted, '' quoted) into the declared dtypes."""
    return to_frame(_read(memoryview(data), columns, multiline), columns)


def _begin(cur: Any, snapshot: str | None) -> None:
    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    if snapshot:
        cur.execute("SET TRANSACTION SNAPSHOT %s", (snapshot,))
    cur.execute("SET LOCAL TIME ZONE 'UTC'; SET LOCAL statement_timeout = 0")


def _copy_part(engine: Engine, copy: str, snapshot: str | None) -> io.BytesIO:
    buffer = io.BytesIO()
    conn: Any = engine.raw_connection()  # psycopg2's: cursors are context managers
    try:
        with conn.cursor() as cur:
            _begin(cur, snapshot)
            cur.copy_expert(copy, buffer)
    finally:
        conn.rollback()
        conn.close()
    return buffer


def _estimated_rows(cur: Any, query: str) -> int:
    cur.execute(f"EXPLAIN (FORMAT JSON) {query}")
    return int(cur.fetchone()[0][0]["Plan"]["Plan Rows"])


def copy_frame(
    sql: str,
    params: dict[str, Any],
    columns: Sequence[Column],
    source: Source = None,
    *,
    multiline: bool = False,
    order_by: Sequence[str] = (),
    partition: str | None = None,
    workers: int | None = None,
    wire_sql: str | None = None,
) -> pd.DataFrame:
    """Run `sql` (a SELECT ending in its WHERE clause) through COPY into a typed frame.

    `multiline` must be set when text columns may hold newlines (code, prompts).
    `partition` is an integer SQL expression (e.g. ``x.user_id``) that splits a large
    result over `workers` connections (default: up to 4 when the planner expects at
    least PARALLEL_MIN_ROWS rows). Rows are sorted by `order_by` here, not in SQL.
    Fixed-width results go through ``pgbinary`` (binary COPY, no parse), using `wire_sql`
    (`sql` with the columns' `wire` expressions) when given; anything else through CSV.
    """
    with engine_for(source) as engine:
        lead: Any = engine.raw_connection()
        try:
            with lead.cursor() as cur:
                _begin(cur, None)
                query = cur.mogrify(sql, params).decode()
                wire_query = cur.mogrify(wire_sql or sql, params).decode()
                layout = None if multiline else pgbinary.plan(cur, wire_query, columns)
                if workers is None:
                    big = partition and _estimated_rows(cur, query) >= PARALLEL_MIN_ROWS
                    workers = min(4, os.cpu_count() or 1) if big else 1
                cur.execute("SELECT pg_export_snapshot()")  # the lead's own reads see it too
                snapshot = cur.fetchone()[0]
                split = [""]
                if workers > 1 and partition:
                    split = [f" AND (({partition}) % {workers}) = {k}" for k in range(workers)]

                def fetch(where: str) -> Any:
                    if layout is None:
                        copy = f"COPY ({query}{where}) TO STDOUT WITH (FORMAT csv, HEADER true)"
                        buffer = _copy_part(engine, copy, snapshot)
                        return _read(buffer.getbuffer(), columns, multiline)
                    wire = pgbinary.wire_sql(wire_query + where, layout)
                    copy = f"COPY ({wire}) TO STDOUT (FORMAT binary)"
                    return pgbinary.rows(_copy_part(engine, copy, snapshot).getbuffer(), layout)

                with ThreadPoolExecutor(len(split)) as pool:
                    parts = list(pool.map(fetch, split))
                cats = pgbinary.categories(cur, wire_query, layout, parts) if layout else None
        finally:
            lead.rollback()
            lead.close()
    if layout is not None and cats is None:  # open categories collide: fall back to CSV
        return copy_frame(
            sql,
            params,
            columns,
            source,
            multiline=True,
            order_by=order_by,
            partition=partition,
            workers=workers,
        )
    if layout is not None and cats is not None:
        table = pgbinary.to_table(parts, layout, columns, cats, order_by)
        if pgbinary.sorts(layout, order_by):
            return to_frame(table, columns)
    else:
        table = pa.concat_tables(parts)
    frame = to_frame(table, columns)
    if order_by:
        frame = frame.sort_values(list(order_by), kind="stable", ignore_index=True)
    return frame
