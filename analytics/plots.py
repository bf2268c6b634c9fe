"""Figures for the analytics notebooks: one function per figure, each returning its Axes.

Inputs are the outputs of ``analytics.measures``; plotting never computes a measure, so a
figure and a table built from the same frame always agree.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def _axes(ax: Axes | None, size: tuple[float, float] = (7, 3.5)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def hour_weekday_heatmap(grid: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Requests per weekday x hour (output of measures.help_by_hour)."""
    ax = _axes(ax, (9, 3.2))
    table = grid.pivot_table(
        index="weekday", columns="hour", values="requests", aggfunc="sum", observed=False
    )
    image = ax.imshow(table.to_numpy(dtype=float), aspect="auto", cmap="viridis")
    ax.set_yticks(range(len(table.index)), [str(d)[:3] for d in table.index])
    ax.set_xticks(range(0, 24, 2), [str(h) for h in range(0, 24, 2)])
    ax.set_xlabel("hour of day")
    ax.set_title("When students ask for help")
    ax.figure.colorbar(image, ax=ax, label="requests")
    return ax


def bars(
    frame: pd.DataFrame, x: str, y: str, title: str, ax: Axes | None = None, color: str = "C0"
) -> Axes:
    """A labelled bar chart of `y` over the categories of `x`."""
    ax = _axes(ax)
    ax.bar(frame[x].astype(str), frame[y].astype(float), color=color)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=20)
    return ax


def histogram(
    values: pd.Series,
    title: str,
    xlabel: str,
    ax: Axes | None = None,
    bins: int = 30,
    log: bool = False,
) -> Axes:
    """Histogram of the non-missing `values` (log-spaced bins with `log`)."""
    ax = _axes(ax)
    data = values.dropna().astype(float).to_numpy()
    if log and len(data):
        data = data[data > 0]
        edges = np.logspace(np.log10(max(data.min(), 1e-3)), np.log10(data.max() + 1), bins)
        ax.hist(data, bins=edges.tolist())
        ax.set_xscale("log")
    else:
        ax.hist(data, bins=bins)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.set_title(title)
    return ax


def ecdf(values: pd.Series, title: str, xlabel: str, ax: Axes | None = None, label=None) -> Axes:
    """Empirical cumulative distribution of the non-missing `values`."""
    ax = _axes(ax)
    data = np.sort(values.dropna().astype(float).to_numpy())
    if len(data):
        ax.step(data, np.arange(1, len(data) + 1) / len(data), where="post", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share of cases")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    return ax


def time_series(
    frame: pd.DataFrame,
    x: str,
    ys: list[str],
    title: str,
    ax: Axes | None = None,
    ylabel: str = "",
) -> Axes:
    """Lines of `ys` over the time column `x`."""
    ax = _axes(ax)
    for y in ys:
        ax.plot(frame[x], frame[y].astype(float), marker=".", label=y.replace("_", " "))
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend()
    ax.figure.autofmt_xdate()
    return ax


def percentile_bars(summary: pd.DataFrame, group: str, ax: Axes | None = None) -> Axes:
    """p50/p90/p99 of each latency measure (output of measures.latency_summary)."""
    ax = _axes(ax, (8, 3.5))
    quantiles = [c for c in summary.columns if c.startswith("p") and c[1:].isdigit()]
    labels = [f"{m}\n{group}={g}" for m, g in zip(summary["measure"], summary[group], strict=True)]
    x = np.arange(len(summary))
    width = 0.8 / max(len(quantiles), 1)
    for i, q in enumerate(quantiles):
        ax.bar(x + i * width, summary[q].astype(float), width, label=q)
    ax.set_xticks(x + width * (len(quantiles) - 1) / 2, labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("milliseconds (log)")
    ax.set_title("Latency percentiles")
    ax.legend()
    return ax


def intervals(
    frame: pd.DataFrame,
    label: str,
    title: str,
    xlabel: str,
    ax: Axes | None = None,
    center: str = "estimate",
    reference: float | None = None,
) -> Axes:
    """Points with their confidence intervals, one row per `label` (experiment_report output).

    `reference` draws a vertical line (0 for differences: an interval crossing it is
    compatible with no effect).
    """
    ax = _axes(ax, (7, 0.5 + 0.45 * max(len(frame), 2)))
    y = np.arange(len(frame))[::-1]
    mid = frame[center].astype(float).to_numpy()
    low = mid - frame["ci_low"].astype(float).to_numpy()
    high = frame["ci_high"].astype(float).to_numpy() - mid
    ax.errorbar(mid, y, xerr=[low, high], fmt="o", capsize=4, color="C0")
    if reference is not None:
        ax.axvline(reference, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(y, frame[label].astype(str).tolist())
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return ax
