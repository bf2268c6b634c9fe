"""ProgSnap2 export: the trace of consenting students as MainTable, CodeStates, metadata.

Mapping (ProgSnap2 event types; every X- type and column is defined in the codebook that
ships with the data, analytics/progsnap2_codebook.py):
- tutor session start/end        -> Session.Start / Session.End
- every cell execution           -> Compile (CompileResult Success or Error), then
  - a syntax error               -> Compile.Error, ParentEventID = the Compile
  - otherwise                    -> Run.Program (ExecutionResult, ProgramErrorOutput)
- help request to the tutor      -> X-Help.Request
- the tutor's answer             -> Intervention (Hint, or Feedback on a debugging request)
- a refused / failed request     -> X-Help.Refused / X-Help.Failed
  (answers and outcomes have ParentEventID = the help request)
Kernel events carry the kernel's clock as ClientTimestamp and the server's receive time as
ServerTimestamp; Order follows ServerTimestamp (the clock rule in the codebook). The tutor's
own cells (%tutor, %load_ext ainative, widget-only cells) are not runs and are left out.
Every id is an HMAC-SHA256 pseudonym keyed by Settings.research_key().
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

import ainative
from ainative.config import get_settings
from analytics.load import (
    Source,
    load_assignments,
    load_events,
    load_experiments,
    load_interactions,
    load_sessions,
)
from analytics.progsnap2_codebook import write_codebook
from analytics.scrub import Scrubber, treat

TOOL_INSTANCES = f"AI-Native Tutor {ainative.__version__}; Python 3 (Jupyter)"
SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
MAIN_COLUMNS = (
    "EventType",
    "EventID",
    "Order",
    "SubjectID",
    "ToolInstances",
    "CodeStateID",
    "CodeStateSection",
    "ServerTimestamp",
    "ServerTimezone",
    "ClientTimestamp",
    "CourseID",
    "AssignmentID",
    "ProblemID",
    "ExperimentalCondition",
    "SessionID",
    "ParentEventID",
    "EventInitiator",
    "IsFabricatedEvent",
    "ExecutionResult",
    "ProgramErrorOutput",
    "CompileResult",
    "CompileMessageType",
    "CompileMessageData",
    "SourceLocation",
    "InterventionCategory",
    "InterventionType",
    "InterventionMessage",
    "X-RequestType",
    "X-TutorMode",
    "X-HelpMessage",
    "X-PolicyVersion",
    "X-Helpful",
    "X-Score",
    "X-CellID",
    "X-Turn",
)
# Tie-break for events with the same timestamps: the causal order.
TYPE_RANK = {
    "Session.Start": 0,
    "Compile": 1,
    "Compile.Error": 2,
    "Run.Program": 2,
    "X-Help.Request": 3,
    "Intervention": 4,
    "X-Help.Refused": 4,
    "X-Help.Failed": 4,
    "Session.End": 5,
}
# A line that only loads or shows the tutor: the tutor's own cell, not a program run.
TUTOR_CELL_PREFIXES = ("%tutor", "%load_ext ainative", "%reload_ext ainative")
_WIDGET_LINE = re.compile(
    r"^(%(re)?load_ext\s+ainative\S*|%tutor\b.*|(from\s+ainative\S*\s+)?import\s+.*"
    r"|(display\()?\s*(TutorWidget|TutorClient|tutor)\s*\(.*\)\)?)\s*;?$"
)


def pseudonym(user_id: int, key: str) -> str:
    """A keyed, stable pseudonym of a user id (HMAC-SHA256, 96 bits, hex)."""
    digest = hmac.new(key.encode(), f"user:{int(user_id)}".encode(), hashlib.sha256)
    return "s" + digest.hexdigest()[:24]


def keyed_id(kind: str, value: Any, key: str) -> str:
    """A keyed pseudonym of a database id (an event, session or interaction), 80 bits."""
    return hmac.new(key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:20]


def is_tutor_cell(code: str | None) -> bool:
    """True for the tutor's own cells: %tutor / %load_ext ainative, or widget-only code."""
    source = (code or "").strip()
    if not source:
        return False
    if source.startswith(TUTOR_CELL_PREFIXES):
        return True
    lines = [
        ln.strip() for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]
    loads = any("ainative" in ln or "Tutor" in ln or ln.startswith("%tutor") for ln in lines)
    return loads and all(_WIDGET_LINE.match(ln) for ln in lines)


def _iso(times: pd.Series) -> pd.Series:
    out = times.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    return out.fillna("")


def _ids(prefix: str, kind: str, values: pd.Series, key: str) -> list[str]:
    return [f"{prefix}-{keyed_id(kind, v, key)}" for v in values]


def _session_ids(values: pd.Series, key: str) -> list[str]:
    return ["" if pd.isna(v) else keyed_id("session", v, key) for v in values]


def _session_rows(sessions: pd.DataFrame, key: str) -> pd.DataFrame:
    ended = sessions[sessions["ended_at"].notna()]
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "EventType": kind,
                    "EventID": _ids(prefix, "session", frame["id"], key),
                    "_user": frame["user_id"],
                    "_server": frame[column],
                    "_course": frame["course_id"],
                    "SessionID": _session_ids(frame["id"], key),
                }
            )
            for kind, prefix, frame, column in (
                ("Session.Start", "ss", sessions, "started_at"),
                ("Session.End", "se", ended, "ended_at"),
            )
        ],
        ignore_index=True,
    )


def _problem(notebooks: pd.Series, cells: pd.Series) -> list[str]:
    return [
        f"{n}#{c}"
        if isinstance(n, str) and isinstance(c, str)
        else (c if isinstance(c, str) else "")
        for n, c in zip(notebooks, cells, strict=True)
    ]


def _place(frame: pd.DataFrame) -> dict[str, Any]:
    """The columns that say where in the notebooks an event happened."""
    return {
        "CodeStateSection": frame["notebook_path"],
        "AssignmentID": frame["notebook_path"],
        "ProblemID": _problem(frame["notebook_path"], frame["cell_id"]),
        "X-CellID": frame["cell_id"],
    }


def _run_rows(runs: pd.DataFrame, key: str) -> pd.DataFrame:
    runs = runs.loc[[not is_tutor_cell(c) for c in runs["code"]]]
    compile_ids = pd.Series(_ids("compile", "event", runs["id"], key), index=runs.index)
    base = pd.DataFrame(
        {
            "_user": runs["user_id"],
            "_server": runs["created_at"],
            "_client": runs["occurred_at"],
            "_course": runs["course_id"],
            "SessionID": _session_ids(runs["session_id"], key),
            **_place(runs),
            "_code": runs["code"],
            "_code_id": runs["code"],
            "EventInitiator": "UserDirectAction",
        },
        index=runs.index,
    )
    syntax = runs["error_type"].astype("string").isin(SYNTAX_ERRORS).fillna(False).to_numpy()
    ok = runs["success"].fillna(True).to_numpy(dtype=bool)
    message = runs["error_message"].fillna("")
    compiled = base.assign(
        EventType="Compile",
        EventID=compile_ids,
        CompileResult=["Error" if s else "Success" for s in syntax],
        IsFabricatedEvent="true",
    )
    errors = base[syntax].assign(
        EventType="Compile.Error",
        EventID=_ids("cerr", "event", runs["id"][syntax], key),
        ParentEventID=compile_ids[syntax],
        CompileMessageType=runs["error_type"][syntax].astype("string"),
        CompileMessageData=message[syntax],
        EventInitiator="ToolReaction",
    )
    executed = base[~syntax].assign(
        EventType="Run.Program",
        EventID=_ids("run", "event", runs["id"][~syntax], key),
        ExecutionResult=["Success" if s else "Error" for s in ok[~syntax]],
        ProgramErrorOutput=message[~syntax].where(~ok[~syntax], ""),
    )
    return pd.concat([compiled, errors, executed], ignore_index=True)


def _context_code(context: Any) -> str | None:
    if not isinstance(context, str) or not context:
        return None
    try:
        value = json.loads(context)
    except ValueError:
        return None
    code = value.get("code") if isinstance(value, dict) else None
    return code if isinstance(code, str) and code else None


def _help_rows(interactions: pd.DataFrame, key: str, conditions: pd.Series) -> pd.DataFrame:
    request_ids = pd.Series(
        _ids("help", "interaction", interactions["id"], key), interactions.index
    )
    common = {
        "_user": interactions["user_id"],
        "_course": interactions["course_id"],
        "SessionID": _session_ids(interactions["session_id"], key),
        "ExperimentalCondition": conditions,
        "X-PolicyVersion": interactions["policy_version"].astype("Int64"),
    }
    code = [_context_code(c) for c in interactions["context"]]
    requests = pd.DataFrame(
        {
            "EventType": "X-Help.Request",
            "EventID": request_ids,
            "_server": interactions["created_at"],
            **common,
            **_place(interactions),
            "X-Turn": interactions["turn"].astype("Int64"),
            "_code": code,
            "_code_id": code,
            "EventInitiator": "UserDirectAction",
            "X-RequestType": interactions["classification"].astype("string"),
            "X-TutorMode": interactions["mode"].astype("string"),
            "X-HelpMessage": interactions["prompt"],
        },
        index=interactions.index,
    )
    finished = interactions["completed_at"].fillna(interactions["started_at"])
    finished = finished.fillna(interactions["created_at"])
    status = interactions["status"].astype("string")
    guardrail = interactions["guardrail"].astype("string")
    failed = status.eq("error").fillna(False)
    refused = ~failed & guardrail.eq("refused").fillna(False) & status.eq("done").fillna(False)
    answered = ~failed & ~refused & interactions["answer"].notna()
    answered &= interactions["completed_at"].notna()
    debugging = interactions["classification"].astype("string").eq("debugging").fillna(False)
    mode = interactions["mode"].astype("string")
    intervention_type = "LLM tutor, " + mode + " mode, guardrail " + guardrail.fillna("none")
    outcome = pd.DataFrame(
        {
            "_server": finished,
            **common,
            "ParentEventID": request_ids,
            "EventInitiator": "ToolReaction",
            "InterventionType": intervention_type,
            "InterventionMessage": interactions["answer"],
            "X-Helpful": interactions["helpful"].astype("boolean").astype("string").str.lower(),
            "X-Score": interactions["score"].astype("Int64"),
        },
        index=interactions.index,
    )
    answers = outcome[answered].assign(
        EventType="Intervention",
        EventID=_ids("answer", "interaction", interactions["id"][answered], key),
        InterventionCategory=["Feedback" if d else "Hint" for d in debugging[answered]],
    )
    refusals = outcome[refused].assign(
        EventType="X-Help.Refused",
        EventID=_ids("refused", "interaction", interactions["id"][refused], key),
    )
    failures = outcome[failed][["_server", *common, "ParentEventID", "EventInitiator"]].assign(
        EventType="X-Help.Failed",
        EventID=_ids("failed", "interaction", interactions["id"][failed], key),
    )
    return pd.concat([requests, answers, refusals, failures], ignore_index=True)


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


def _assigned_conditions(
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


def build_main_table(
    sessions: pd.DataFrame,
    events: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    key: str,
    course_codes: dict[int, str] | None = None,
    experiments: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
    text: str = "keep",
    scrubber: Scrubber | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """MainTable, CodeStates and whether the order follows one clock (pure: no database).

    `text` is keep, scrub or drop for prompts, answers and code (scrub also treats error
    output and notebook paths, drop scrubs those).
    """
    experiments = experiments if experiments is not None else pd.DataFrame()
    conditions = (
        experiment_conditions(interactions, experiments)
        if not experiments.empty
        else pd.Series(None, index=interactions.index, dtype="object")
    )
    runs = events[events["event_type"] == "cell.executed"]
    frame = pd.concat(
        [
            _session_rows(sessions, key),
            _run_rows(runs, key),
            _help_rows(interactions, key, conditions),
        ],
        ignore_index=True,
    )
    for column in ("_client", "ExperimentalCondition"):
        if column not in frame:
            frame[column] = None
    frame["_server"] = pd.to_datetime(frame["_server"], utc=True)
    frame["_client"] = pd.to_datetime(frame["_client"], utc=True)
    consistent = bool(frame["_server"].notna().all())
    frame["_t"] = frame["_server"].fillna(frame["_client"])
    if assignments is not None:
        frame["ExperimentalCondition"] = _assigned_conditions(frame, experiments, assignments)
    frame["_rank"] = frame["EventType"].map(TYPE_RANK).astype("int64")
    frame = frame.sort_values(["_t", "_client", "_rank", "EventID"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame["Order"] = pd.RangeIndex(1, len(frame) + 1)
    subjects = {u: pseudonym(u, key) for u in frame["_user"].dropna().unique()}
    frame["SubjectID"] = frame["_user"].map(subjects)
    frame["ToolInstances"] = TOOL_INSTANCES
    frame["CodeStateID"] = [
        keyed_id("code", c, key) if isinstance(c, str) else "" for c in frame["_code_id"]
    ]
    frame["ServerTimestamp"] = _iso(frame["_server"])
    frame["ClientTimestamp"] = _iso(frame["_client"])
    frame["ServerTimezone"] = "UTC"
    codes = course_codes or {}
    frame["CourseID"] = [codes.get(c, str(c)) if pd.notna(c) else "" for c in frame["_course"]]
    _treat_text(frame, text, scrubber or Scrubber())
    known = frame[frame["CodeStateID"] != ""]
    code_states = (
        pd.DataFrame({"CodeStateID": known["CodeStateID"], "Code": known["_code"].fillna("")})
        .drop_duplicates("CodeStateID")
        .reset_index(drop=True)
    )
    main = frame.reindex(columns=list(MAIN_COLUMNS))
    return main, code_states, consistent


def _treat_text(frame: pd.DataFrame, mode: str, scrubber: Scrubber) -> None:
    """Apply the --text mode to free text and code (in place)."""
    paths_and_errors = "keep" if mode == "keep" else "scrub"
    for column in ("X-HelpMessage", "InterventionMessage", "_code"):
        frame[column] = treat(frame[column].tolist(), mode, scrubber)
    for column in (
        "ProgramErrorOutput",
        "CompileMessageData",
        "CodeStateSection",
        "AssignmentID",
        "ProblemID",
    ):
        frame[column] = treat(frame[column].tolist(), paths_and_errors, scrubber)


def _course_codes(source: Source) -> dict[int, str]:
    from analytics.load import raw_connection

    with raw_connection(source) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, code FROM courses")
        return dict(cur.fetchall())


def course_people(source: Source, course_ids: list[int], user_ids: list[int]) -> Scrubber:
    """A scrubber for the members of `course_ids` and the exported students `user_ids`."""
    from analytics.load import raw_connection

    with raw_connection(source) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT username, email FROM users WHERE id = ANY(%(users)s::int[]) OR id IN "
            "(SELECT user_id FROM memberships WHERE course_id = ANY(%(courses)s::int[]))",
            {"users": user_ids, "courses": course_ids},
        )
        rows = cur.fetchall()
    return Scrubber.for_people([r[0] for r in rows], [r[1] for r in rows])


def _ints(values: pd.Series) -> list[int]:
    return sorted({int(v) for v in values.dropna()})


def export_progsnap2(
    out_dir: str | Path,
    source: Source = None,
    *,
    courses: list[int | str] | None = None,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    key: str | None = None,
    text: str = "scrub",
    progress: bool = True,
    chunk_rows: int = 50_000,
) -> dict[str, int]:
    """Write a ProgSnap2 dataset of consenting students to `out_dir`; returns counts.

    `text`: keep, scrub (the default: e-mails, course members' names and home paths
    removed) or drop (prompts, answers and code left empty).
    """
    out = Path(out_dir)
    (out / "CodeStates").mkdir(parents=True, exist_ok=True)
    key = key or get_settings().research_key()
    filters = {"courses": courses, "since": since, "until": until}
    steps = tqdm(total=6, desc="loading", disable=not progress, unit="table")
    sessions = load_sessions(source, **filters)
    steps.update()
    events = load_events(source, event_types=["cell.executed"], include_text=True, **filters)
    steps.update()
    interactions = load_interactions(source, include_text=True, **filters)
    steps.update()
    experiments = load_experiments(source, courses=courses)
    # a lookup for rows already exported (consent applies to those rows, not to this map)
    assignments = load_assignments(source, courses=courses, include_non_consenting=True)
    steps.update()
    scrubber = Scrubber()
    if text != "keep":
        course_ids = _ints(
            pd.concat([sessions["course_id"], events["course_id"], interactions["course_id"]])
        )
        user_ids = _ints(
            pd.concat([sessions["user_id"], events["user_id"], interactions["user_id"]])
        )
        scrubber = course_people(source, course_ids, user_ids)
    steps.update()
    main, code_states, consistent = build_main_table(
        sessions,
        events,
        interactions,
        key=key,
        course_codes=_course_codes(source),
        experiments=experiments,
        assignments=assignments,
        text=text,
        scrubber=scrubber,
    )
    steps.update()
    steps.close()
    path = out / "MainTable.csv"
    bar = tqdm(total=len(main), desc="MainTable.csv", disable=not progress, unit="event")
    for start in range(0, max(len(main), 1), chunk_rows):
        chunk = main.iloc[start : start + chunk_rows]
        chunk.to_csv(path, mode="w" if start == 0 else "a", header=start == 0, index=False)
        bar.update(len(chunk))
    bar.close()
    code_states.to_csv(out / "CodeStates" / "CodeStates.csv", index=False)
    metadata = pd.DataFrame(
        [
            ("Version", "1.0"),
            ("IsEventOrderingConsistent", "true" if consistent else "false"),
            ("EventOrderScope", "Global"),
            ("EventOrderScopeColumns", ""),
            ("CodeStateRepresentation", "Table"),
        ],
        columns=["Property", "Value"],
    )
    metadata.to_csv(out / "DatasetMetadata.csv", index=False)
    write_codebook(out, text_mode=text, consistent=consistent)
    return {
        "events": len(main),
        "subjects": int(main["SubjectID"].nunique()),
        "code_states": len(code_states),
    }
