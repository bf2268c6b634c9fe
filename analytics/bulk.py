"""Bulk writes with COPY FROM STDIN: how synthetic cohorts reach the database quickly."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

JSON_COLUMNS = ("payload", "context", "guardrail_detail", "tutor_policy")


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in out.columns:
        if name in JSON_COLUMNS:
            out[name] = [None if v is None else json.dumps(v) for v in out[name]]
        elif pd.api.types.is_float_dtype(out[name]) and (out[name].dropna() % 1 == 0).all():
            out[name] = out[name].astype("Int64")  # None turned ints into floats
    return out


def copy_into(cursor: Any, table: str, frame: pd.DataFrame) -> int:
    """COPY `frame` into `table` (columns by name); NULL is an unquoted empty field."""
    if frame.empty:
        return 0
    buffer = io.StringIO()
    _csv_ready(frame).to_csv(buffer, index=False, header=False, na_rep="")
    buffer.seek(0)
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
    return len(frame)
