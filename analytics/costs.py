"""Token cost of the tutor per course and per student, at prices from LLM_PRICES.

A cache hit made no model call: its stored token counts are the original call's, so it
costs nothing here (and is counted apart). Failed requests whose attempts reached the
model are not billed by this estimate: the provider reports no usage for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ainative.config import get_settings
from ainative.config_topics import parse_llm_prices
from analytics._frame import keys
from analytics.load import Source, TraceFilter, load_interactions

PER = 1_000_000  # prices are per million tokens


def token_costs(
    interactions: pd.DataFrame,
    prices: Mapping[str, tuple[float, float]],
    *,
    by: str | Sequence[str] = "course_id",
) -> pd.DataFrame:
    """Tokens and their cost per group of `interactions` (``load_interactions`` rows).

    Parameters
    ----------
    interactions : DataFrame
        Needs ``model``, ``cache_hit``, ``prompt_tokens``, ``completion_tokens`` and `by`.
    prices : mapping
        model -> (prompt, completion) price per million tokens (``parse_llm_prices``).
    by : str or list of str
        Grouping columns, e.g. ``"course_id"`` or ``["course_id", "user_id"]``.

    Returns
    -------
    DataFrame
        `by` columns, ``calls`` (Int64: answers that called a model), ``cache_hits``
        (Int64), ``prompt_tokens`` and ``completion_tokens`` (Int64, of the calls),
        ``cost`` (Float64: calls of priced models) and ``unpriced_calls`` (Int64: calls of
        models LLM_PRICES does not list, whose cost is unknown, not zero).

    Notes
    -----
    cost = sum over calls of (prompt_tokens * p_prompt + completion_tokens * p_completion)
    / 1e6, with the model's prices. Rows without token counts (unanswered) are no calls.
    """
    group = keys(by)
    frame = interactions[[*group, "model", "cache_hit", "prompt_tokens", "completion_tokens"]]
    hit = frame["cache_hit"].fillna(False).astype(bool)
    prompt = frame["prompt_tokens"].astype("Float64")
    completion = frame["completion_tokens"].astype("Float64")
    call = ~hit & (prompt.notna() | completion.notna()).to_numpy(dtype=bool)
    model = frame["model"].astype("string")
    price_p = model.map(lambda m: prices[m][0] if m in prices else np.nan).astype("Float64")
    price_c = model.map(lambda m: prices[m][1] if m in prices else np.nan).astype("Float64")
    priced = call & price_p.notna().to_numpy(dtype=bool)
    cost = (prompt.fillna(0) * price_p + completion.fillna(0) * price_c) / PER
    work = frame[group].assign(
        calls=call.astype("int64"),
        cache_hits=hit.astype("int64"),
        prompt_tokens=prompt.where(call, 0).fillna(0),
        completion_tokens=completion.where(call, 0).fillna(0),
        cost=cost.where(priced, 0.0).fillna(0.0),
        unpriced_calls=(call & ~priced).astype("int64"),
    )
    out = work.groupby(group, observed=True, dropna=False).sum().reset_index()
    return out.astype(
        {
            "calls": "Int64",
            "cache_hits": "Int64",
            "prompt_tokens": "Int64",
            "completion_tokens": "Int64",
            "cost": "Float64",
            "unpriced_calls": "Int64",
        }
    )


def load_token_costs(
    source: Source = None,
    *,
    where: TraceFilter | None = None,
    per: str = "student",
    prices: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Token cost per course (`per="course"`) or per course and student (`per="student"`).

    Prices default to LLM_PRICES. `where` is ``load_interactions``'s: consenting
    students only unless ``include_non_consenting`` (a course's whole bill is an audit).
    """
    if per not in ("course", "student"):
        raise ValueError("per must be 'course' or 'student'")
    prices = prices if prices is not None else parse_llm_prices(get_settings().llm_prices)
    interactions = load_interactions(source, where=where)
    by = ["course_id"] if per == "course" else ["course_id", "user_id"]
    return token_costs(interactions, prices, by=by)
