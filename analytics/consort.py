"""The experiment report's CONSORT parts: the flow of students, intention to treat with
missing outcomes kept, and the comparison with the pre-registration.

CONSORT 2010 (Schulz, Altman & Moher; items 13a/b and the flow diagram) asks for the
numbers allocated to each arm, those who received it, those lost and why, and those
analysed for each outcome; items 3b/6b/24 for changes to the registered plan.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from analytics.load import Source, raw_connection

FLOW_SQL = """
WITH e AS (SELECT id, ended_at FROM experiments WHERE id = %(e)s),
arms AS (SELECT a.id, a.name FROM experiment_arms a WHERE a.experiment_id = %(e)s),
logged AS (
    SELECT arm, count(*) AS n FROM experiment_allocations WHERE experiment_id = %(e)s
    GROUP BY arm),
present AS (
    SELECT a.name AS arm, s.user_id, s.assigned_at,
        EXISTS (SELECT 1 FROM consent_periods p, e WHERE p.user_id = s.user_id AND p.given
                AND p.until > s.assigned_at
                AND p.since < COALESCE(e.ended_at, 'infinity'::timestamptz)) AS consented,
        COALESCE((SELECT c.given FROM consent_records c WHERE c.user_id = s.user_id
                  ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1),
                 u.research_consent) AS consents_now
    FROM experiment_assignments s JOIN arms a ON a.id = s.arm_id
    JOIN users u ON u.id = s.user_id
    WHERE s.experiment_id = %(e)s)
SELECT arms.name,
    GREATEST(COALESCE(logged.n, 0), count(p.user_id)) AS assigned,
    count(p.user_id) AS accounts_kept,
    count(p.user_id) FILTER (WHERE p.consented) AS consented,
    count(p.user_id) FILTER (WHERE p.consented AND NOT p.consents_now) AS withdrew
FROM arms LEFT JOIN logged ON logged.arm = arms.name
LEFT JOIN present p ON p.arm = arms.name
GROUP BY arms.id, arms.name, logged.n ORDER BY arms.id
"""


def load_flow(source: Source = None, *, experiment_id: int) -> pd.DataFrame:
    """Counts per arm, never who: assigned (the allocation log, deleted accounts
    included), accounts deleted since, consented (consent in force at some time during
    the experiment) and withdrew (consented, but their latest choice is no).

    Returns
    -------
    DataFrame
        ``arm``, ``assigned``, ``deleted``, ``not_consented``, ``consented``, ``withdrew``
        (Int64). Withdrawn students stay analysed with what was recorded while they took
        part (the dated consent rule), so ``withdrew`` is part of ``consented``.
    """
    with raw_connection(source) as conn, conn.cursor() as cur:
        cur.execute(FLOW_SQL, {"e": int(experiment_id)})
        rows = cur.fetchall()
    frame = pd.DataFrame(rows, columns=["arm", "assigned", "kept", "consented", "withdrew"])
    out = pd.DataFrame(
        {
            "arm": frame["arm"],
            "assigned": frame["assigned"],
            "deleted": frame["assigned"] - frame["kept"],
            "not_consented": frame["kept"] - frame["consented"],
            "consented": frame["consented"],
            "withdrew": frame["withdrew"],
        }
    )
    return out.astype({c: "Int64" for c in out.columns if c != "arm"})


def intention_to_treat(
    assignments: pd.DataFrame,
    outcomes: Mapping[str, pd.Series],
    *,
    user: str = "user_id",
    arm: str = "arm",
) -> pd.DataFrame:
    """One row per assigned (consenting) student with every outcome, missing kept as NA.

    Parameters
    ----------
    assignments : DataFrame
        ``load_assignments`` of one experiment.
    outcomes : mapping
        outcome name -> Series indexed by student (e.g. a per-student median time to
        fix); a student absent from it (no next run, never resolved, never ran) is NA,
        not dropped.

    Returns
    -------
    DataFrame
        `user`, `arm`, ``block``, one column per outcome (Float64) and ``observed_<name>``
        (boolean).
    """
    if assignments[user].duplicated().any():
        raise ValueError("assignments hold a student twice: pass one experiment's rows")
    keep = [user, arm] + (["block"] if "block" in assignments else [])
    out = assignments[keep].reset_index(drop=True).copy()
    for name, series in outcomes.items():
        values = out[user].map(series).astype("Float64")
        out[name] = values
        out[f"observed_{name}"] = values.notna().astype("boolean")
    return out


def missing_sensitivity(
    itt: pd.DataFrame, *, outcome: str, arm: str = "arm", treatment: str, control: str
) -> pd.DataFrame:
    """The treatment - control difference in mean `outcome` under three handlings of the
    students with no value: complete cases, and the two extreme imputations (Manski-style
    bounds: treatment's missing at the observed minimum and control's at the maximum, and
    the reverse).

    Returns
    -------
    DataFrame
        ``analysis`` (complete-case / worst-case / best-case), ``difference`` (Float64),
        ``n_treatment``, ``n_control`` (Int64, students counted), ``missing_treatment``,
        ``missing_control`` (Int64).
    """
    values = itt[outcome].astype("Float64")
    low, high = values.min(), values.max()
    groups = {name: values[itt[arm] == name] for name in (treatment, control)}
    missing = {name: int(g.isna().sum()) for name, g in groups.items()}

    def diff(fill_t: Any, fill_c: Any) -> tuple[float, int, int]:
        t = groups[treatment] if fill_t is None else groups[treatment].fillna(fill_t)
        c = groups[control] if fill_c is None else groups[control].fillna(fill_c)
        return float(t.mean() - c.mean()), int(t.notna().sum()), int(c.notna().sum())

    rows = [
        ("complete-case", *diff(None, None)),
        ("worst-case", *diff(low, high)),
        ("best-case", *diff(high, low)),
    ]
    out = pd.DataFrame(rows, columns=["analysis", "difference", "n_treatment", "n_control"])
    out["missing_treatment"], out["missing_control"] = missing[treatment], missing[control]
    return out.astype(
        {
            "difference": "Float64",
            "n_treatment": "Int64",
            "n_control": "Int64",
            "missing_treatment": "Int64",
            "missing_control": "Int64",
        }
    )


def flow_table(flow: pd.DataFrame, itt: pd.DataFrame, *, arm: str = "arm") -> pd.DataFrame:
    """The CONSORT flow, one column per arm: assigned, deleted, not consented, consented,
    withdrew (still analysed with data until then), and analysed for each outcome."""
    table = flow.set_index("arm")[
        ["assigned", "deleted", "not_consented", "consented", "withdrew"]
    ].T
    outcomes = [c.removeprefix("observed_") for c in itt.columns if c.startswith("observed_")]
    for name in outcomes:
        analysed = itt.groupby(arm, observed=True)[f"observed_{name}"].sum()
        table.loc[f"analysed: {name}"] = [int(analysed.get(a, 0)) for a in table.columns]
    table.columns.name = None
    return table.astype("Int64")


def deviations(
    plan: Mapping[str, Any] | str | None,
    *,
    assigned: int,
    ended_at: Any,
    analysis_commit: str,
    primary_outcome: str,
) -> pd.DataFrame:
    """What was done against what was registered, item by item.

    Returns
    -------
    DataFrame
        ``item``, ``registered``, ``actual``, ``deviates`` (boolean). Without a plan, one
        row saying the experiment was not pre-registered (``deviates`` true).
    """
    registered: Mapping[str, Any] | None = json.loads(plan) if isinstance(plan, str) else plan
    if not registered:
        return pd.DataFrame(
            [("pre-registration", "none", "not pre-registered", True)],
            columns=["item", "registered", "actual", "deviates"],
        ).astype({"deviates": "boolean"})
    end = None if ended_at is None or pd.isna(ended_at) else pd.Timestamp(ended_at)
    plan = registered
    planned_end = pd.Timestamp(plan["planned_end"]).date()
    registered_commit = str(plan["analysis_commit"]).lower()
    rows = [
        ("primary outcome", plan["primary_outcome"], primary_outcome,
         plan["primary_outcome"] != primary_outcome),
        ("sample size", str(plan["planned_n"]), str(assigned), assigned != plan["planned_n"]),
        ("end", planned_end.isoformat(), "running" if end is None else end.date().isoformat(),
         end is None or end.date() != planned_end),
        ("analysis commit", registered_commit, analysis_commit,
         analysis_commit.endswith("-dirty")  # uncommitted changes: not the registered code
         or not (analysis_commit.lower().startswith(registered_commit)
                 or registered_commit.startswith(analysis_commit.lower()))),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["item", "registered", "actual", "deviates"]).astype(
        {"deviates": "boolean"}
    )


def report_markdown(flow: pd.DataFrame, deviation: pd.DataFrame) -> str:
    """The CONSORT flow table and the pre-registration comparison as Markdown."""
    lines = ["## CONSORT flow", "", "| | " + " | ".join(map(str, flow.columns)) + " |"]
    lines.append("|---" * (len(flow.columns) + 1) + "|")
    lines += [f"| {i} | " + " | ".join(str(v) for v in row) + " |" for i, row in flow.iterrows()]
    lines += ["", "## Pre-registration", "", "| item | registered | actual | deviates |"]
    lines.append("|---|---|---|---|")
    lines += [
        f"| {r.item} | {r.registered} | {r.actual} | {'yes' if r.deviates else 'no'} |"
        for r in deviation.itertuples()
    ]
    return "\n".join(lines) + "\n"
