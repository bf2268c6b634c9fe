"""Effect sizes between two groups, and the per-comparison level of a family of intervals.

The plain forms take two samples; the weighted forms take the samples once and one row of
integer weights per resample (how often each observation was drawn), so the cluster
bootstrap (``analytics.bootstrap``) computes every resample's effect in one array
operation. Each docstring names the definition and its source.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Numbers = float | np.ndarray


def cohens_h(p1: Numbers, p2: Numbers) -> Numbers:
    """Cohen's h between two proportions: 2·asin(√p1) − 2·asin(√p2).

    Cohen (1988), *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed., §6.2:
    0.2 small, 0.5 medium, 0.8 large.
    """
    return 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2))


def cohens_d(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Cohen's d: the difference in means over the pooled standard deviation.

    Cohen (1988), §2.2; s² pooled = ((n1 − 1)s1² + (n2 − 1)s2²) / (n1 + n2 − 2).
    """
    a, b = np.asarray(x, float), np.asarray(y, float)
    return float(_d(a.sum(), (a**2).sum(), len(a), b.sum(), (b**2).sum(), len(b)))


def cliffs_delta(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Cliff's delta: P(X > Y) − P(X < Y) over all pairs, in [−1, 1].

    Cliff (1993), "Dominance statistics: ordinal analyses to answer ordinal questions",
    Psychological Bulletin 114(3). Romano et al. (2006) suggest 0.147 / 0.33 / 0.474 as
    small / medium / large.
    """
    a, b = np.asarray(x, float), np.asarray(y, float)
    return float(np.sign(a[:, None] - b[None, :]).mean())


def cohens_d_weighted(x: np.ndarray, wx: np.ndarray, y: np.ndarray, wy: np.ndarray) -> np.ndarray:
    """Cohen's d of `x` against `y` repeated by the weights, one value per row of `wx`/`wy`."""
    return np.asarray(_d(wx @ x, wx @ x**2, wx.sum(1), wy @ y, wy @ y**2, wy.sum(1)))


def cliffs_delta_weighted(
    x_sorted: np.ndarray, wx: np.ndarray, y_sorted: np.ndarray, wy: np.ndarray
) -> np.ndarray:
    """Cliff's delta of sorted `x` against sorted `y` repeated by the weights, per row.

    Σᵢ wxᵢ (Wy(y < xᵢ) − Wy(y > xᵢ)) / (Σ wx · Σ wy), with Wy the weight of the y below or
    above xᵢ read from cumulative sums: no pairwise matrix, so large arms stay cheap.
    """
    cum = np.concatenate([np.zeros((wy.shape[0], 1)), np.cumsum(wy, axis=1)], axis=1)
    below = cum[:, np.searchsorted(y_sorted, x_sorted, side="left")]
    above = cum[:, -1:] - cum[:, np.searchsorted(y_sorted, x_sorted, side="right")]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((wx * (below - above)).sum(axis=1) / (wx.sum(axis=1) * cum[:, -1]))


def _d(s1: Numbers, q1: Numbers, n1: Numbers, s2: Numbers, q2: Numbers, n2: Numbers) -> Numbers:
    """Cohen's d from sums, sums of squares and counts (scalars or arrays of resamples)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        m1, m2 = s1 / n1, s2 / n2
        ss = (q1 - n1 * m1**2) + (q2 - n2 * m2**2)
        pooled = np.sqrt(ss / (n1 + n2 - 2))
        return (m1 - m2) / pooled


def bonferroni(level: float, comparisons: int) -> float:
    """The per-comparison confidence level that keeps `level` for a family of comparisons.

    Bonferroni: each of m intervals at 1 − (1 − level)/m, so all m hold together with
    probability at least `level` (Dunn 1961, "Multiple comparisons among means", JASA).
    """
    return 1 - (1 - level) / max(int(comparisons), 1)
