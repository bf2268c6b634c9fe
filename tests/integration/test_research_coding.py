"""Coding real requests by people, end to end on a seeded cohort through the CLI: a
stratified, scrubbed sample of consenting students' requests, two coders' files, their
agreement (Cohen's kappa, Krippendorff's alpha) and the classifier's confusion matrix.

The coders are simulated: coder A codes each request by the template the synthetic
cohort wrote it from (its intended kind), coder B is coder A with a seeded 15 % of codes
replaced by another category, as a careless person would."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from ainative.cli import main as cli_main
from analytics.coding import CATEGORIES
from analytics.synth_text import PROMPTS


def _pattern(template: str) -> re.Pattern[str]:
    body = re.escape(template).replace(r"\{error\}", r"\w+").replace(r"\{n\}", r"\d+")
    return re.compile(f"^{body}$")


TEMPLATES = [(_pattern(t), kind) for kind, options in PROMPTS.items() for t in options]


def intended(request: str) -> str:
    return next(kind for pattern, kind in TEMPLATES if pattern.match(request))


@pytest.fixture
def cli_database(fresh_database_url: str, monkeypatch) -> Iterator[str]:
    from ainative.config import get_settings

    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("PSEUDONYM_KEY", "p" * 32)
    get_settings.cache_clear()
    yield fresh_database_url
    get_settings.cache_clear()


def _fill(folder, seed: int = 0, noise: float = 0.15) -> None:
    rng = np.random.default_rng(seed)
    a = pd.read_csv(folder / "coder_A.csv", dtype=str, keep_default_na=False)
    a["code"] = [intended(r) for r in a["request"]]
    a.to_csv(folder / "coder_A.csv", index=False)
    b = pd.read_csv(folder / "coder_B.csv", dtype=str, keep_default_na=False)
    truth = dict(zip(a["item"], a["code"], strict=True))
    codes = []
    for item in b["item"]:
        code = truth[item]
        if rng.random() < noise:
            code = str(rng.choice([c for c in CATEGORIES if c != code]))
        codes.append(code)
    b["code"] = codes
    b.to_csv(folder / "coder_B.csv", index=False)


def test_sample_code_and_report(cli_database: str, tmp_path, capsys) -> None:
    seed = ["seed-demo", "--students", "40", "--days", "14", "--seed", "5", "--course", "COD1"]
    assert cli_main(seed) == 0
    capsys.readouterr()
    folder = tmp_path / "coding"
    args = ["export", "coding-sample", "--out", str(folder), "--per-stratum", "15"]
    assert cli_main([*args, "--coders", "A"]) == 2  # two coders at least
    assert cli_main(args) == 0
    assert "requests for coders A, B" in capsys.readouterr().out
    a = pd.read_csv(folder / "coder_A.csv", dtype=str, keep_default_na=False)
    b = pd.read_csv(folder / "coder_B.csv", dtype=str, keep_default_na=False)
    key = pd.read_csv(folder / "key.csv", dtype=str)
    assert set(a["item"]) == set(b["item"]) == set(key["item"])
    assert a["item"].tolist() != b["item"].tolist()  # each coder in their own order
    assert "classifier" not in a.columns and (a["code"] == "").all()
    strata = key.groupby("stratum").size()
    assert strata.max() <= 15 and len(strata) >= 3
    engine = create_engine(cli_database)
    with engine.connect() as conn:  # consenting students only
        consenting = set(
            conn.execute(
                text(
                    "SELECT i.prompt FROM interactions i JOIN users u ON u.id = i.user_id "
                    "WHERE u.research_consent"
                )
            ).scalars()
        )
    engine.dispose()
    assert set(a["request"]) <= consenting
    assert json.loads((folder / "provenance.json").read_text())["kind"] == "coding-sample"

    _fill(folder)
    b.loc[0, "code"] = "rant"
    bad = folder / "bad"
    bad.mkdir()
    b.to_csv(bad / "coder_B.csv", index=False)
    (bad / "key.csv").write_text((folder / "key.csv").read_text())
    assert cli_main(["research", "coding-report", str(bad)]) == 2
    assert "coder_B.csv row 2: 'rant' is not a code" in capsys.readouterr().out

    assert cli_main(["research", "coding-report", str(folder)]) == 0
    report = capsys.readouterr().out
    kappa = float(re.search(r"Cohen's kappa: ([\d.]+)", report).group(1))
    alpha = float(re.search(r"alpha \(nominal\): ([\d.]+)", report).group(1))
    assert 0.6 < kappa < 0.95 and abs(alpha - kappa) < 0.05  # 15 % noise, two coders
    assert "classifier" in report and (folder / "coding_report.md").exists()
    record = json.loads((folder / "coding_report.provenance.json").read_text())
    assert record["parameters"]["kappa"] == pytest.approx(kappa, abs=5e-4)
    print(report)  # the figures, for the record (pytest -s)
