"""How long students wait for a person: the time to the first human reply to a hand-off.

Pure functions over ``analytics.load_escalations.load_escalations`` frames, in the
conventions of ``analytics.measures`` (input never modified, explicit dtypes,
``observed=True``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics._frame import keys, share

__all__ = ["time_to_first_reply"]


def time_to_first_reply(
    escalations: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "course_id",
    seconds: str = "first_reply_s",
) -> pd.DataFrame:
    """Median and 90th percentile of the time from asking a person to the first reply.

    Parameters
    ----------
    escalations : DataFrame
        One row per escalation, with `seconds` (NA when no one replied) and the `by`
        columns: ``course_id``, ``arm_id``, or a lab's key the caller derived (a date, a
        timetable slot).
    by : str or list of str, optional
        Grouping columns; None for one overall row. NA keys (an escalation outside an
        experiment, grouped by arm) are a group of their own.
    seconds : str
        The column of seconds from the escalation to its first staff reply.

    Returns
    -------
    DataFrame
        `by` columns, ``escalations`` (Int64, all of them), ``replied`` (Int64, with a
        reply), ``reply_share`` (Float64, replied / escalations), ``median_s`` and
        ``p90_s`` (Float64, over replied ones; NA when none was).

    Notes
    -----
    Percentiles are pandas' linear interpolation between order statistics over the
    escalations that got a reply. Unanswered ones (withdrawn, still waiting) are not in
    them: they are counted apart (``reply_share``), since a wait that never ended has no
    length; a survival estimate (``analytics.survival``) uses them as censored instead.
    """
    group = keys(by)
    frame = escalations[[*group, seconds]].assign(_s=escalations[seconds].astype("float64"))
    if group:
        g = frame.groupby(group, observed=True, dropna=False)["_s"]
        out = pd.DataFrame(
            {
                "escalations": g.size(),
                "replied": g.count(),
                "median_s": g.median(),
                "p90_s": g.quantile(0.9),
            }
        ).reset_index()
    else:
        s = frame["_s"]
        out = pd.DataFrame(
            {
                "escalations": [len(s)],
                "replied": [int(s.count())],
                "median_s": [s.median()],
                "p90_s": [s.quantile(0.9)],
            }
        )
    out = out.astype({"escalations": "Int64", "replied": "Int64"})
    out = out.astype({"median_s": "Float64", "p90_s": "Float64"})
    out.insert(len(group) + 2, "reply_share", share(out["replied"], out["escalations"]))
    return out
