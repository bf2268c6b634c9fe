"""Coding real help requests by people: a stratified sample for two (or more) coders,
their codes read back, agreement and the classifier's confusion matrix.

The classifier (``ainative.tutor.classify``) was validated on requests one author wrote;
this is the tooling to validate it on real students. The sample is drawn from consenting
students only (``load_interactions``), stratified by course and the classifier's label,
and scrubbed like an export. Coders get ``codebook.md`` and their own ``coder_<name>.csv``
(the same items, each coder in a different order, no classifier label); the researcher
keeps ``key.csv`` (item, stratum, the classifier's label). Items are keyed pseudonyms.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ainative.db.models import CLASSIFICATIONS
from analytics.agreement import agreed_codes, agreement, confusion
from analytics.progsnap2_rows import keyed_id

# What coders read: the labels of tests/data/README.md, in priority order.
CODEBOOK = {
    "solution-request": "Asks for the finished work (a whole solution, the complete code, "
    "'do it for me'), also when written in the code's comments or docstrings. Checked first: "
    "a request for the answer that mentions an error is still a solution request.",
    "debugging": "Something the student ran misbehaves and they want to know why: an error "
    "or traceback, a wrong or missing result ('prints 5 instead of 15'), a hang. 'Why does "
    "my ...' about their own program.",
    "conceptual": "Wants to understand an idea of programming, not fix or build something "
    "now: 'what is a generator', 'difference between == and is'. 'What is an exception?' is "
    "conceptual when no symptom of the student's is named.",
    "implementation": "Wants a way to do something they will write themselves: 'how do I "
    "read a CSV', 'where do I start', a hint for the next step, making code faster.",
    "off-topic": "Not about programming or the course's exercises: weather, jokes, "
    "greetings, other subjects, course logistics ('when is the exam?').",
}
CATEGORIES = tuple(CLASSIFICATIONS)


def _context(value: Any) -> dict[str, Any]:
    if not isinstance(value, str) or not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def draw_sample(
    interactions: pd.DataFrame,
    *,
    per_stratum: int,
    key: str,
    strata: Sequence[str] = ("course_id", "classification"),
    seed: int = 0,
) -> pd.DataFrame:
    """Up to `per_stratum` first-turn requests of each stratum, drawn without replacement.

    Parameters
    ----------
    interactions : DataFrame
        ``load_interactions(include_text=True)`` rows (consenting students only).
    strata : sequence of str
        The columns whose combinations are strata (a stratum smaller than `per_stratum`
        is taken whole).

    Returns
    -------
    DataFrame
        ``item`` (a keyed pseudonym of the interaction), ``stratum`` (text), ``request``,
        ``error`` (the first line of the error the widget sent), ``code``, ``classifier``
        (the stored label), unscrubbed; `export_sample` scrubs.
    """
    asked = interactions[interactions["turn"].fillna(1).astype(int) == 1]
    rng = np.random.default_rng(seed)
    parts = []
    for _, group in asked.groupby(list(strata), observed=True, dropna=False, sort=True):
        take = min(per_stratum, len(group))
        parts.append(group.iloc[np.sort(rng.choice(len(group), size=take, replace=False))])
    chosen = pd.concat(parts) if parts else asked.iloc[:0]
    contexts = [_context(c) for c in chosen["context"]]
    return pd.DataFrame(
        {
            "item": [f"i{keyed_id('interaction', v, key)}" for v in chosen["id"]],
            "stratum": chosen[list(strata)].astype(str).agg("/".join, axis=1).to_numpy(),
            "request": chosen["prompt"].to_numpy(),
            "error": [(str(c.get("error") or "").splitlines() or [""])[0] for c in contexts],
            "code": [str(c.get("code") or "") for c in contexts],
            "classifier": chosen["classification"].astype(str).to_numpy(),
        }
    )


def export_sample(
    sample: pd.DataFrame,
    out_dir: str | Path,
    *,
    coders: Sequence[str] = ("A", "B"),
    scrub: Any = None,
    seed: int = 0,
) -> list[Path]:
    """Write codebook.md, one coder_<name>.csv per coder and key.csv into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scrub = scrub or (lambda text: text)
    shown = sample.assign(
        request=[scrub(t) for t in sample["request"]],
        error=[scrub(t) for t in sample["error"]],
        code=[scrub(t) for t in sample["code"]],
    )
    lines = [
        "# Coding help requests",
        "",
        "Give each request exactly one code, the first that applies in this order. Write it "
        "in the `code` column of your own file; do not discuss items with the other coder "
        "until both files are done. Leave `code` empty only when the request cannot be read.",
        "",
        *[f"- `{name}`: {text}" for name, text in CODEBOOK.items()],
    ]
    (out / "codebook.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rng = np.random.default_rng(seed)
    written = [out / "codebook.md"]
    for coder in coders:
        order = rng.permutation(len(shown))
        path = out / f"coder_{coder}.csv"
        shown.iloc[order][["item", "request", "error", "code"]].assign(code="").to_csv(
            path, index=False
        )
        written.append(path)
    sample[["item", "stratum", "classifier"]].to_csv(out / "key.csv", index=False)
    return [*written, out / "key.csv"]


class CodingError(ValueError):
    """A coder's file that cannot be read as codes; the message names file and row."""


def read_codes(out_dir: str | Path) -> pd.DataFrame:
    """Every coder_<name>.csv in `out_dir` as a long frame (item, coder, code); empty codes
    are left out, an unknown code is refused naming its file and row."""
    rows = []
    for path in sorted(Path(out_dir).glob("coder_*.csv")):
        coder = path.stem.removeprefix("coder_")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if not {"item", "code"} <= set(frame.columns):
            raise CodingError(f"{path.name}: needs the columns item and code")
        for number, (item, code) in enumerate(
            zip(frame["item"], frame["code"], strict=True), start=2
        ):
            code = code.strip().lower()
            if not code:
                continue
            if code not in CATEGORIES:
                raise CodingError(
                    f"{path.name} row {number}: {code!r} is not a code ({', '.join(CATEGORIES)})"
                )
            rows.append((item, coder, code))
    if not rows:
        raise CodingError(f"no coder_*.csv with codes in {out_dir}")
    return pd.DataFrame(rows, columns=["item", "coder", "code"])


def coding_report(out_dir: str | Path) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame]:
    """Agreement of the coders, and the classifier (key.csv) against their agreed codes."""
    codes = read_codes(out_dir)
    key = pd.read_csv(Path(out_dir) / "key.csv", dtype=str).set_index("item")["classifier"]
    summary = agreement(codes, categories=CATEGORIES)
    matrix, scores = confusion(agreed_codes(codes), key, categories=CATEGORIES)
    return summary, matrix, scores
