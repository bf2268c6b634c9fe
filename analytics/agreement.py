"""Agreement between people who coded the same items, and a classifier against their codes.

Cohen's kappa for two coders, Krippendorff's alpha (nominal) for any number with gaps,
and the confusion matrix of the classifier's labels against the codes the coders agreed
on. Inputs are long frames: one row per (item, coder, code).
"""

from __future__ import annotations

from collections.abc import Sequence

import krippendorff
import numpy as np
import pandas as pd


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float:
    """Cohen's (1960) kappa of two coders' codes of the same items, in order.

    Notes
    -----
    kappa = (p_o - p_e) / (1 - p_e), with p_o the share of items coded alike and p_e
    the agreement expected from each coder's own marginal shares.
    """
    a, b = np.asarray(first, dtype=object), np.asarray(second, dtype=object)
    if len(a) != len(b) or not len(a):
        raise ValueError("kappa needs the same, non-empty list of items from both coders")
    observed = float(np.mean(a == b))
    categories = sorted(set(a) | set(b))
    expected = sum(float(np.mean(a == c)) * float(np.mean(b == c)) for c in categories)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def krippendorff_alpha(codes: pd.DataFrame, *, categories: Sequence[str]) -> float:
    """Krippendorff's alpha, nominal, of a long frame (item, coder, code); gaps allowed."""
    matrix = codes.pivot(index="coder", columns="item", values="code")
    index = {c: i for i, c in enumerate(categories)}
    numeric = matrix.apply(lambda col: col.map(index)).to_numpy(dtype=float)
    return float(krippendorff.alpha(reliability_data=numeric, level_of_measurement="nominal"))


def agreement(codes: pd.DataFrame, *, categories: Sequence[str]) -> dict[str, float]:
    """Agreement of the coders in `codes` (item, coder, code).

    Returns
    -------
    dict
        ``items`` (coded by at least two coders), ``coders``, ``percent`` (share of
        those items all their coders coded alike), ``kappa`` (Cohen's, when exactly two
        coders; NaN otherwise) and ``alpha`` (Krippendorff's, nominal).
    """
    coders = sorted(codes["coder"].unique())
    wide = codes.pivot(index="item", columns="coder", values="code")
    both = wide[wide.notna().sum(axis=1) >= 2]
    alike = both.apply(lambda row: row.dropna().nunique() == 1, axis=1)
    kappa = float("nan")
    if len(coders) == 2:
        paired = wide.dropna()
        kappa = cohen_kappa(paired[coders[0]].tolist(), paired[coders[1]].tolist())
    return {
        "items": float(len(both)),
        "coders": float(len(coders)),
        "percent": float(alike.mean()) if len(both) else float("nan"),
        "kappa": kappa,
        "alpha": krippendorff_alpha(codes, categories=categories),
    }


def agreed_codes(codes: pd.DataFrame) -> pd.Series:
    """Each item's code where all its coders (two or more) agree; disagreements left out."""
    wide = codes.pivot(index="item", columns="coder", values="code")
    both = wide[wide.notna().sum(axis=1) >= 2]
    alike = both.apply(lambda row: row.dropna().nunique() == 1, axis=1)
    return both[alike].apply(lambda row: row.dropna().iloc[0], axis=1).rename("code")


def confusion(
    truth: pd.Series, predicted: pd.Series, *, categories: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The classifier's confusion matrix against `truth` (both indexed by item).

    Returns
    -------
    (DataFrame, DataFrame)
        The matrix (rows: the coders' code, columns: the classifier's; Int64 counts), and
        per category ``precision``, ``recall``, ``support`` plus an ``all`` row whose
        ``recall`` is the accuracy.
    """
    both = pd.concat([truth.rename("truth"), predicted.rename("predicted")], axis=1).dropna()
    matrix = pd.crosstab(
        pd.Categorical(both["truth"], categories=list(categories)),
        pd.Categorical(both["predicted"], categories=list(categories)),
        dropna=False,
    )
    matrix.index.name, matrix.columns.name = "coded", "classifier"
    values = matrix.to_numpy()
    hits = np.diag(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = hits / values.sum(axis=0)
        recall = hits / values.sum(axis=1)
    scores = pd.DataFrame(
        {"precision": precision, "recall": recall, "support": values.sum(axis=1)},
        index=list(categories),
    )
    total = values.sum()
    scores.loc["all"] = [np.nan, hits.sum() / total if total else np.nan, total]
    return matrix.astype("Int64"), scores.astype({"support": "Int64"})
