"""Small helpers shared by the metric modules."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def keys(by: str | Sequence[str] | None) -> list[str]:
    """Grouping columns as a list (None means no grouping)."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def share(part: pd.Series, whole: pd.Series) -> pd.Series:
    """part / whole as Float64, NA where whole is zero."""
    whole = whole.astype("Float64")
    return (part.astype("Float64") / whole.where(whole > 0)).astype("Float64")


def counts(frame: pd.DataFrame, by: list[str], name: str) -> pd.DataFrame:
    """Row counts per group (or overall when `by` is empty) as an Int64 column."""
    if by:
        out = frame.groupby(by, observed=True).size().rename(name).reset_index()
    else:
        out = pd.DataFrame({name: [len(frame)]})
    return out.astype({name: "Int64"})
