"""Agreement statistics against published worked examples.

- Cohen's kappa: the two-reader example of Wikipedia's "Cohen's kappa" (50 proposals:
  20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no; p_o 0.7, p_e 0.5, kappa 0.4).
- Krippendorff's alpha, nominal: the 4 coders x 12 units example of Krippendorff (2011),
  "Computing Krippendorff's Alpha-Reliability", section C (alpha = 0.743).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.agreement import agreed_codes, agreement, cohen_kappa, confusion, krippendorff_alpha

NAN = None
KRIPPENDORFF_2011 = {  # coder -> value per unit 1..12, None where the coder gave none
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    "C": [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
}


def test_cohens_kappa_reproduces_the_two_reader_example() -> None:
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(first, second) == pytest.approx(0.4)


def test_krippendorffs_alpha_reproduces_the_2011_nominal_example() -> None:
    rows = [
        (unit, coder, str(value))
        for coder, values in KRIPPENDORFF_2011.items()
        for unit, value in enumerate(values, start=1)
        if value is not None
    ]
    codes = pd.DataFrame(rows, columns=["item", "coder", "code"])
    alpha = krippendorff_alpha(codes, categories=["1", "2", "3", "4", "5"])
    assert alpha == pytest.approx(0.743, abs=5e-4)
    summary = agreement(codes, categories=["1", "2", "3", "4", "5"])
    assert summary["coders"] == 4 and np.isnan(summary["kappa"])  # kappa: two coders only
    assert summary["items"] == 11  # unit 12 has one coder: not pairable


def test_confusion_matrix_against_the_agreed_codes() -> None:
    codes = pd.DataFrame(
        [
            (1, "A", "debugging"), (1, "B", "debugging"),
            (2, "A", "conceptual"), (2, "B", "conceptual"),
            (3, "A", "debugging"), (3, "B", "implementation"),  # disagreement: left out
            (4, "A", "implementation"), (4, "B", "implementation"),
        ],
        columns=["item", "coder", "code"],
    )  # fmt: skip
    agreed = agreed_codes(codes)
    assert agreed.to_dict() == {1: "debugging", 2: "conceptual", 4: "implementation"}
    classifier = pd.Series({1: "debugging", 2: "debugging", 3: "debugging", 4: "implementation"})
    cats = ["debugging", "conceptual", "implementation"]
    matrix, scores = confusion(agreed, classifier, categories=cats)
    assert int(matrix.loc["conceptual", "debugging"]) == 1
    assert int(matrix.to_numpy().sum()) == 3
    assert scores.loc["all", "recall"] == pytest.approx(2 / 3)
    assert scores.loc["debugging", "precision"] == pytest.approx(0.5)
