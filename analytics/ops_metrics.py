"""Operator figures from the trace: latency percentiles, cache hits and failures over time."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics._frame import keys, share

LATENCY_COLUMNS = ("queue_ms", "llm_ms", "total_ms")


def latency_summary(
    interactions: pd.DataFrame,
    *,
    measures: Sequence[str] = LATENCY_COLUMNS,
    by: str | Sequence[str] | None = "cache_hit",
    quantiles: Sequence[float] = (0.5, 0.9, 0.99),
) -> pd.DataFrame:
    """Latency percentiles of each timing column, per group.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with nullable integer millisecond columns.
    measures : sequence of str
        Timing columns: queue_ms (waiting for a worker), llm_ms (the provider call),
        total_ms (submission to answer).
    by : str or list of str, optional
        Grouping columns (cache hits are much faster, so they are split by default).
    quantiles : sequence of float
        Percentiles to report, as fractions.

    Returns
    -------
    DataFrame
        Long format: `by` columns, ``measure`` (str), ``count`` (Int64, non-missing
        values), ``mean`` (Float64) and one Float64 column ``p50``, ``p90``... per quantile.
    """
    group = keys(by)
    rows = []
    for measure in measures:
        frame = interactions[[*group, measure]].dropna(subset=[measure])
        frame = frame.astype({measure: "float64"})
        if group:
            g = frame.groupby(group, observed=True)[measure]
            stats = pd.DataFrame({"count": g.size(), "mean": g.mean()})
            for q in quantiles:
                stats[f"p{round(q * 100):g}"] = g.quantile(q)
            stats = stats.reset_index()
        else:
            values = frame[measure]
            stats = pd.DataFrame({"count": [len(values)], "mean": [values.mean()]})
            for q in quantiles:
                stats[f"p{round(q * 100):g}"] = [values.quantile(q)]
        rows.append(stats.assign(measure=measure))
    out = pd.concat(rows, ignore_index=True)
    value_columns = [c for c in out.columns if c not in (*group, "measure", "count")]
    out = out.astype({"count": "Int64", **{c: "Float64" for c in value_columns}})
    return out[[*group, "measure", "count", *value_columns]]


def _per_period(
    interactions: pd.DataFrame, time: str, freq: str, flag: pd.Series, name: str
) -> pd.DataFrame:
    period = interactions[time].dt.tz_convert("UTC").dt.floor(freq)
    frame = pd.DataFrame({"period": period.to_numpy(), "_f": flag.to_numpy()})
    g = frame.groupby("period", observed=True)["_f"]
    out = pd.DataFrame({"requests": g.size(), name: g.sum()}).reset_index()
    return out.astype({"requests": "Int64", name: "Int64"})


def cache_hit_rate(
    interactions: pd.DataFrame,
    *,
    time: str = "created_at",
    cache: str = "cache_hit",
    freq: str = "D",
) -> pd.DataFrame:
    """Share of requests answered from the cache, per period.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with a tz-aware `time` and a boolean `cache` column.
    time, cache : str
        Column names.
    freq : str
        Period length as a pandas frequency ("h", "D", "W"...), periods in UTC.

    Returns
    -------
    DataFrame
        ``period`` (period start, UTC), ``requests`` (Int64), ``cache_hits`` (Int64),
        ``hit_rate`` (Float64).
    """
    flag = interactions[cache].fillna(False).astype("int64")
    out = _per_period(interactions, time, freq, flag, "cache_hits")
    out["hit_rate"] = share(out["cache_hits"], out["requests"])
    return out


def error_rate(
    interactions: pd.DataFrame,
    *,
    time: str = "created_at",
    status: str = "status",
    freq: str = "D",
) -> pd.DataFrame:
    """Share of requests that ended in an error (status "error"), per period.

    Parameters
    ----------
    interactions : DataFrame
        Tutor requests with a tz-aware `time` and a categorical `status` column.
    time, status : str
        Column names.
    freq : str
        Period length as a pandas frequency, periods in UTC.

    Returns
    -------
    DataFrame
        ``period``, ``requests`` (Int64), ``errors`` (Int64), ``error_rate`` (Float64).
    """
    flag = interactions[status].eq("error").fillna(False).astype("int64")
    out = _per_period(interactions, time, freq, flag, "errors")
    out["error_rate"] = share(out["errors"], out["requests"])
    return out
