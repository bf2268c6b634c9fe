"""ExperimentalCondition for ProgSnap2 rows: the arm a request ran under, or the student's."""

from __future__ import annotations

import pandas as pd


def experiment_conditions(interactions: pd.DataFrame, experiments: pd.DataFrame) -> pd.Series:
    """Each interaction's condition, '<experiment> (experiment <id>): <arm>', or NA."""
    labels = {
        int(a): f"{e} (experiment {i}): {n}"
        for a, e, i, n in zip(
            experiments["arm_id"],
            experiments["experiment"],
            experiments["experiment_id"],
            experiments["arm"],
            strict=True,
        )
    }
    return interactions["arm_id"].map(lambda a: labels.get(int(a)) if pd.notna(a) else None)


def assigned_conditions(
    frame: pd.DataFrame, experiments: pd.DataFrame, assignments: pd.DataFrame
) -> pd.Series:
    """The condition of rows without one: the student's arm while its experiment ran."""
    if experiments.empty or assignments.empty:
        return frame["ExperimentalCondition"]
    windows = experiments.drop_duplicates("experiment_id")[
        ["experiment_id", "started_at", "ended_at"]
    ]
    arms = experiment_conditions(assignments, experiments).rename("_label")
    table = assignments[["experiment_id", "course_id", "user_id"]].assign(_label=arms)
    table = table.merge(windows, on="experiment_id")
    for column in ("started_at", "ended_at"):
        table[column] = pd.to_datetime(table[column], utc=True)
    todo = frame[frame["ExperimentalCondition"].isna()][["_user", "_course", "_t"]]
    todo = todo.reset_index().rename(columns={"index": "_row"})
    hits = todo.merge(
        table, left_on=["_user", "_course"], right_on=["user_id", "course_id"], how="inner"
    )
    inside = (hits["_t"] >= hits["started_at"]) & (
        hits["ended_at"].isna() | (hits["_t"] < hits["ended_at"])
    )
    hits = hits[inside].sort_values(["_row", "experiment_id"]).drop_duplicates("_row")
    filled = frame["ExperimentalCondition"].copy()
    filled.loc[hits["_row"].to_numpy()] = hits["_label"].to_numpy()
    return filled
