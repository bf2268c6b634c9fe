"""Fixed-width binary COPY: the fast path of ``analytics.pgcopy`` for trace-shaped queries.

PostgreSQL's binary COPY sends each value in its send format (timestamps and integers as
big-endian int64/int32, uuids as 16 bytes), which costs the server less than text output
(timestamps and uuids above all) and the client nothing to parse -- *if* every row has
the same width. So NULLs become in-band sentinels in SQL (the type's minimum integer,
``-infinity`` for timestamps, 2 for booleans sent as int4, a flag column for uuids),
categorical text becomes a small-int code (CASE over fixed categories) or a 64-bit hash
(open categories, named afterwards by `categories`). The COPY stream is then a numpy
structured array: sorted with one argsort, decoded per column on a few threads and handed
to pyarrow, never parsed. Queries with other column kinds (free text, JSON): `plan`
returns None and they take the CSV path.

Caveat: an integer column holding its type's minimum value (e.g. -2147483648) and a
``-infinity`` timestamp read as NULL; no trace column holds one (durations, token
counts, scores, ids, real times).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
PACKED = "\0packed"  # the int4 field carrying the small codes
MANY_CATEGORIES = 32  # beyond this, name hashes with one DISTINCT pass, not row lookups
_INT = {21: ("i2", "int2"), 23: ("i4", "int4"), 20: ("i8", "int8")}  # by pg type oid
_BOOL, _TS, _UUID, _TEXT = 16, 1184, 2950, (25, 1043)
_EPOCH_2000_US = 946_684_800_000_000
_INT_SENTINEL = {2: -(2**15), 4: -(2**31), 8: -(2**63)}
_HEX_PAIRS = np.array(  # byte -> its two hex digits, as one uint16 in memory order
    [np.frombuffer(f"{b:02x}".encode(), np.uint16)[0] for b in range(256)], np.uint16
)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def plan(cur: Any, query: str, columns: Sequence[Any]) -> list | None:
    """Per column (name, SQL wire expression over ``s``, numpy dtype, kind, bits), or None.

    None means: some column is not expressible in fixed width, use CSV. Categorical text
    with fixed categories travels as its index (CASE); with open categories as its
    64-bit hash, named afterwards by `categories`. Small codes (fixed categories, booleans,
    uuid NULL flags) are packed into one int4 field, `bits` = (shift, width): every field
    costs the server a send call, so fewer fields is less server time.
    """
    cur.execute(f"SELECT * FROM ({query}) s LIMIT 0")
    out: list = []
    packed: list[str] = []

    def small(name: str, kind: str, width: int, case: str, cases: list, other: int) -> bool:
        """Pack `CASE {case} WHEN test THEN code ... ELSE other END` into PACKED."""
        shift = sum(entry[4][1] for entry in out if entry[4])
        if shift + width > 30:
            return False
        whens = " ".join(f"WHEN {test} THEN {code << shift}" for test, code in cases)
        packed.append(f"CASE {case} {whens} ELSE {other << shift} END")
        out.append((name, "", None, kind, (shift, width)))
        return True

    for col, d in zip(columns, cur.description, strict=True):
        n, oid = f"s.{col.name}", d.type_code
        if oid in _INT:
            code, pg_type = _INT[oid]
            least = _INT_SENTINEL[int(code[1])]
            out.append((col.name, f"coalesce({n}, '{least}'::{pg_type})", ">" + code, "int", None))
        elif oid == _BOOL:
            if not small(col.name, "bool", 2, n, [("true", 1), ("false", 0)], 2):
                out.append((col.name, f"coalesce({n}::int4, 2)", ">i4", "bool", None))
        elif oid == _TS:
            out.append((col.name, f"coalesce({n}, '-infinity')", ">i8", "ts", None))
        elif oid == _UUID:
            nil = "'00000000-0000-0000-0000-000000000000'::uuid"
            out.append((col.name, f"coalesce({n}, {nil})", "V16", "uuid", None))
            if not small(col.name + "\0null", "flag", 1, "", [(f"{n} IS NULL", 1)], 0):
                out.append((col.name + "\0null", f"({n} IS NULL)", "u1", "flag", None))
        elif oid in _TEXT and isinstance(col.type, pa.DictionaryType) and col.categories:
            cats = [(_quote(v), i) for i, v in enumerate(col.categories)]
            if len(cats) >= 15 or not small(col.name, "cat", 4, n, cats, 15):
                whens = " ".join(f"WHEN {v} THEN {i}" for v, i in cats)
                wire = f"coalesce(CASE {n} {whens} END, -1)::int2"
                out.append((col.name, wire, ">i2", "cat", None))
        elif oid in _TEXT and isinstance(col.type, pa.DictionaryType):
            out.append((col.name, f"coalesce(hashtextextended({n}, 0), 0)", ">i8", "hash", None))
        else:
            return None
    if packed:
        out.append((PACKED, " + ".join(packed), ">i4", "packed", None))
    return out


def categories(cur: Any, query: str, layout: list, parts: list[np.ndarray]) -> dict | None:
    """For each hashed column: its sorted values and their hashes (None on a collision).

    Runs after the COPY, in its snapshot: each distinct hash in the data is named by the
    first row carrying it (``LIMIT 1`` stops the scan early for all but rare values).
    Many distinct hashes take one DISTINCT pass instead, which also detects collisions.
    The 64-bit hash makes a collision between a column's few values (or with NULL,
    sent as 0) a ~2^-60 event; the LIMIT 1 route does not check for one.
    """
    found = {}
    for k, (name, _, _, kind, _) in enumerate(layout):
        if kind != "hash":
            continue
        seen = np.unique(np.concatenate([p[f"v{k}"] for p in parts]).astype(np.int64))
        seen = seen[seen != 0].tolist()
        hashed = f"hashtextextended(s.{name}, 0)"
        if len(seen) > MANY_CATEGORIES:
            cur.execute(f"SELECT DISTINCT s.{name}, {hashed} FROM ({query}) s")
            pairs = sorted((v, h) for v, h in cur.fetchall() if v is not None)
        else:
            pairs = []
            for h in seen:
                cur.execute(f"SELECT s.{name} FROM ({query}) s WHERE {hashed} = %s LIMIT 1", (h,))
                pairs.append((cur.fetchone()[0], h))
            pairs.sort()
        codes = np.array([h for _, h in pairs], np.int64)
        if len(set(codes.tolist()) | {0}) != len(codes) + 1:
            return None  # two values (or a value and NULL) share a hash
        found[name] = ([v for v, _ in pairs], codes)
    return found


def wire_sql(query: str, layout: list) -> str:
    """The SELECT that COPY ... (FORMAT binary) runs: one fixed-width row per input row."""
    fields = ", ".join(expr for _, expr, dtype, _, _ in layout if dtype)
    return f"SELECT {fields} FROM ({query}) s"


def row_dtype(layout: list) -> np.dtype:
    """Binary COPY row: int16 field count, then per field int32 length and the value."""
    fields = [("nfields", ">i2")]
    for i, (_, _, dtype, _, _) in enumerate(layout):
        if dtype is None:  # packed into the PACKED field
            continue
        fields += [(f"len{i}", ">i4"), (f"v{i}", dtype)]
    return np.dtype(fields)


def rows(data: memoryview, layout: list) -> np.ndarray:
    """The rows of one binary COPY stream as a structured array (no copy)."""
    if bytes(data[:11]) != SIGNATURE:
        raise ValueError("not a PostgreSQL binary COPY stream")
    start = 19 + int.from_bytes(data[15:19], "big")
    dtype = row_dtype(layout)
    body = data[start : len(data) - 2]
    if len(body) % dtype.itemsize:
        raise ValueError("binary COPY rows are not fixed-width")
    return np.frombuffer(body, dtype)


def _uuid_text(raw: np.ndarray, null: np.ndarray) -> pa.Array:
    """16-byte uuids -> canonical 36-character text, formatted with numpy."""
    pairs = np.ascontiguousarray(raw).view(np.uint8).reshape(-1, 16)
    hexed = _HEX_PAIRS[pairs].view(np.uint8)  # (n, 32) hex digits
    text = np.full((len(pairs), 36), ord("-"), np.uint8)
    for start, end, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        text[:, at : at + end - start] = hexed[:, start:end]
    offsets = np.arange(0, 36 * len(pairs) + 1, 36, dtype=np.int32)
    valid = pa.py_buffer(np.packbits(~null, bitorder="little")) if null.any() else None
    return pa.StringArray.from_buffers(
        len(pairs), pa.py_buffer(offsets), pa.py_buffer(text), valid, int(null.sum())
    )


def to_table(
    parts: list[np.ndarray], layout: list, columns: Sequence[Any], cats: dict, order_by=()
) -> pa.Table:
    """Decode sentinels and codes into an arrow table with the columns' declared types,
    rows ordered by `order_by` when its keys are integers or timestamps (stable, NULLs
    last as in pandas; see `sorts`), else in arrival order. Columns are decoded on a few
    threads: numpy and pyarrow release the GIL for this work."""
    index = {entry[0]: k for k, entry in enumerate(layout)}
    order = _order(parts, layout, order_by) if sorts(layout, order_by) else None

    def field(i: int) -> np.ndarray:
        bits = layout[i][4]
        if bits:
            shift, width = bits
            code = (field(index[PACKED]) >> shift) & ((1 << width) - 1)
            return np.where(code == 15, -1, code) if layout[i][3] == "cat" else code
        values = np.concatenate([p[f"v{i}"] for p in parts])
        return values if order is None else values[order]

    def decode(col: Any) -> pa.Array:
        i = index[col.name]
        return _decode(col, layout[i][3], field(i), lambda: field(i + 1), cats)

    with ThreadPoolExecutor(min(4, os.cpu_count() or 1)) as pool:
        arrays = list(pool.map(decode, columns))
    return pa.Table.from_arrays(arrays, names=[c.name for c in columns])


def _decode(col: Any, kind: str, raw: np.ndarray, flags: Any, cats: dict) -> pa.Array:
    if kind == "int":
        values = raw.astype(col.type.to_pandas_dtype())
        return pa.array(values, mask=raw == _INT_SENTINEL[raw.dtype.itemsize])
    if kind == "bool":
        return pa.array(raw == 1, mask=raw == 2)
    if kind == "ts":
        values = raw.astype(np.int64)
        mask = values == _INT_SENTINEL[8]
        values += _EPOCH_2000_US
        return pa.array(values, mask=mask).view(col.type)
    if kind == "uuid":
        return _uuid_text(raw, flags().astype(bool))
    codes = raw.astype(np.int64)
    names: Any = list(col.categories or ())
    if kind == "hash":
        names, hashes = cats[col.name]
        by_hash = np.argsort(hashes)
        at = np.searchsorted(hashes[by_hash], codes).clip(0, max(len(hashes) - 1, 0))
        known = hashes[by_hash][at] == codes if len(hashes) else np.zeros(len(codes), bool)
        codes = np.where(known, by_hash[at] if len(hashes) else 0, -1).astype(np.int32)
    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(names, pa.string()))


def _order(parts: list[np.ndarray], layout: list, order_by: Sequence[str]) -> np.ndarray:
    index = {entry[0]: k for k, entry in enumerate(layout)}
    keys = []
    for name in reversed(order_by):
        i = index[name]
        raw = np.concatenate([p[f"v{i}"] for p in parts]).astype(np.int64)
        raw[raw == _INT_SENTINEL[parts[0][f"v{i}"].dtype.itemsize]] = np.iinfo(np.int64).max
        keys.append(raw)
    return np.argsort(keys[0], kind="stable") if len(keys) == 1 else np.lexsort(keys)


def sorts(layout: list, order_by: Sequence[str]) -> bool:
    """Whether to_table orders the rows itself (keys are integers or timestamps)."""
    kinds = {entry[0]: entry[3] for entry in layout}
    return bool(order_by) and all(kinds[name] in ("int", "ts") for name in order_by)
