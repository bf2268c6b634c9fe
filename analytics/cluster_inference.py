"""Student-level inference for few clusters: CR2 with Satterthwaite df, and the exact
design-based test of a blocked allocation (a permutation test within allocation blocks).

Both treat the student as the unit: rows of one student are one cluster, and students
were allocated in permuted blocks (``ainative.course.experiments``), so the reference
distribution of the permutation test re-allocates only within each block.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from scipy import stats


def _inv_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The symmetric inverse square root, via eigenvalues (pseudo-inverse for zero ones)."""
    values, vectors = np.linalg.eigh(matrix)
    inv = np.where(values > 1e-12, 1 / np.sqrt(np.clip(values, 1e-12, None)), 0.0)
    return (vectors * inv) @ vectors.T


def cr2(
    y: np.ndarray, x: np.ndarray, clusters: np.ndarray, contrast: np.ndarray
) -> tuple[float, float, float]:
    """OLS estimate of `contrast`·beta, its CR2 standard error and Bell-McCaffrey df.

    Notes
    -----
    CR2 (Bell & McCaffrey 2002): V = B Σ_g X_g' A_g e_g e_g' A_g X_g B with
    B = (X'X)^-1 and A_g = (I - H_gg)^{-1/2}. Degrees of freedom as Imbens & Kolesár
    (2016, their eq. for K_BM): (Σλ)² / Σλ², λ the eigenvalues of G'G, whose column g
    is (I - H)_g' A_g X_g B contrast (working model: independent, equal variances).
    With one row per cluster and a binary regressor, the variance is Welch's
    s1²/n1 + s0²/n0 and the df Welch-Satterthwaite's at equal variances.
    """
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    resid = y - x @ beta
    hat = x @ bread @ x.T
    residual_maker = np.eye(len(y)) - hat
    meat = np.zeros_like(bread)
    columns = []
    for g in np.unique(clusters):
        rows = np.flatnonzero(clusters == g)
        adjust = _inv_sqrt(residual_maker[np.ix_(rows, rows)])
        xg = x[rows]
        u = xg.T @ adjust @ resid[rows]
        meat += np.outer(u, u)
        columns.append(residual_maker[rows].T @ adjust @ xg @ bread @ contrast)
    variance = float(contrast @ bread @ meat @ bread @ contrast)
    g_matrix = np.column_stack(columns)
    lam = np.linalg.eigvalsh(g_matrix.T @ g_matrix)
    df = float(lam.sum() ** 2 / (lam**2).sum())
    return float(contrast @ beta), math.sqrt(variance), df


def arm_difference_cr2(
    frame: pd.DataFrame,
    *,
    outcome: str,
    arm: str = "arm",
    treatment: str,
    control: str,
    cluster: str = "user_id",
    level: float = 0.95,
) -> dict[str, float]:
    """Mean `outcome` of `treatment` minus `control`, rows clustered by student.

    Returns
    -------
    dict
        ``estimate``, ``se`` (CR2), ``df`` (Bell-McCaffrey), ``t``, ``p`` (two-sided, t
        with df), ``ci_low``, ``ci_high``, ``clusters`` and ``rows`` (used: outcome not
        missing, arm one of the two).
    """
    used = frame[frame[arm].isin([treatment, control]) & frame[outcome].notna()]
    y = used[outcome].to_numpy(dtype=float)
    x = np.column_stack([np.ones(len(used)), (used[arm] == treatment).to_numpy(dtype=float)])
    estimate, se, df = cr2(y, x, used[cluster].to_numpy(), np.array([0.0, 1.0]))
    t = estimate / se if se > 0 else math.nan
    crit = float(stats.t.ppf(0.5 + level / 2, df))
    return {
        "estimate": estimate,
        "se": se,
        "df": df,
        "t": t,
        "p": float(2 * stats.t.sf(abs(t), df)) if se > 0 else math.nan,
        "ci_low": estimate - crit * se,
        "ci_high": estimate + crit * se,
        "clusters": float(used[cluster].nunique()),
        "rows": float(len(used)),
    }


def block_permutation_test(
    students: pd.DataFrame,
    *,
    outcome: str,
    arm: str = "arm",
    block: str = "block",
    treatment: str,
    control: str,
    max_exact: int = 100_000,
    resamples: int = 10_000,
    seed: int = 0,
) -> dict[str, float]:
    """Difference in mean `outcome` (treatment - control) and its permutation p-value,
    arms re-allocated only within allocation blocks (one row per student).

    Exact over every within-block re-allocation when there are at most `max_exact`;
    otherwise `resamples` random ones (seeded), p = (1 + hits) / (1 + resamples)
    (Phipson & Smyth 2010). Two-sided: |difference| at least the observed one.

    Returns
    -------
    dict
        ``estimate``, ``p``, ``permutations`` (how many were compared), ``exact`` (1/0).
    """
    used = students[students[arm].isin([treatment, control]) & students[outcome].notna()]
    y = used[outcome].to_numpy(dtype=float)
    labels = (used[arm] == treatment).to_numpy()
    groups = [np.flatnonzero(used[block].to_numpy() == b) for b in pd.unique(used[block])]

    def difference(treated: np.ndarray) -> float:
        return float(y[treated].mean() - y[~treated].mean())

    observed = difference(labels)
    per_block = [math.comb(len(g), int(labels[g].sum())) for g in groups]
    total = math.prod(per_block)
    tol = 1e-12 * max(1.0, abs(observed))
    if total <= max_exact:
        choices = [list(itertools.combinations(g, int(labels[g].sum()))) for g in groups]
        hits = count = 0
        for combo in itertools.product(*choices):
            treated = np.zeros(len(y), dtype=bool)
            for chosen in combo:
                treated[list(chosen)] = True
            count += 1
            hits += abs(difference(treated)) >= abs(observed) - tol
        return {"estimate": observed, "p": hits / count, "permutations": count, "exact": 1}
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(resamples):
        treated = labels.copy()
        for g in groups:
            treated[g] = rng.permutation(labels[g])
        hits += abs(difference(treated)) >= abs(observed) - tol
    return {
        "estimate": observed,
        "p": (1 + hits) / (1 + resamples),
        "permutations": resamples,
        "exact": 0,
    }
