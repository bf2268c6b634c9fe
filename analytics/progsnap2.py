"""ProgSnap2 export: the trace of consenting students as MainTable, CodeStates, metadata.

Mapping (ProgSnap2 event types):
- tutor session start/end        -> Session.Start / Session.End
- successful cell execution      -> Run.Program (ExecutionResult=Success)
- failing cell execution         -> Run.Program (ExecutionResult=Error, ProgramErrorOutput)
- SyntaxError/IndentationError   -> Compile (CompileResult=Error) + Compile.Error child
- help request to the tutor      -> X-Help.Request (custom event)
- the tutor's answer             -> Intervention (Hint, or Feedback on a debugging request),
                                    ParentEventID = the help request
Custom columns (X-, empty where they do not apply):
- X-RequestType   on X-Help.Request: the request's classification (debugging, ...)
- X-TutorMode     on X-Help.Request: the tutor mode the student chose
- X-HelpMessage   on X-Help.Request: the student's question
- X-Helpful       on Intervention: the student's thumbs on that answer, "true" (helpful) or
                  "false"; empty when not given (interactions.helpful)
- X-Score         on Intervention: the student's 1-5 score of that answer; empty when not
                  given (interactions.score). The two scales are separate: a student may
                  give either or both, and a thumbs-up is never a score.
SubjectIDs are HMAC-SHA256 pseudonyms keyed by Settings.research_key(): stable across
exports, not reversible without the key. Code goes to CodeStates/CodeStates.csv keyed by
a content hash, so identical code shares one CodeStateID. The notebook a run or a help
request came from is its CodeStateSection, the cell X-CellID; a help request's place in
its conversation is X-Turn.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

import ainative
from ainative.config import get_settings
from analytics.load import Source, load_events, load_interactions, load_sessions

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
    "CourseID",
    "SessionID",
    "ParentEventID",
    "EventInitiator",
    "ExecutionResult",
    "ProgramErrorOutput",
    "CompileResult",
    "CompileMessageType",
    "CompileMessageData",
    "InterventionCategory",
    "InterventionType",
    "InterventionMessage",
    "X-RequestType",
    "X-TutorMode",
    "X-HelpMessage",
    "X-Helpful",
    "X-Score",
    "X-CellID",
    "X-Turn",
)
# Tie-break for events with the same timestamp: the causal order.
TYPE_RANK = {
    "Session.Start": 0,
    "Run.Program": 1,
    "Compile": 1,
    "Compile.Error": 2,
    "X-Help.Request": 3,
    "Intervention": 4,
    "Session.End": 5,
}


def pseudonym(user_id: int, key: str) -> str:
    """A keyed, stable pseudonym of a user id (HMAC-SHA256, 96 bits, hex)."""
    digest = hmac.new(key.encode(), f"user:{int(user_id)}".encode(), hashlib.sha256)
    return "s" + digest.hexdigest()[:24]


def code_state_id(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()[:20]


def _iso(times: pd.Series) -> pd.Series:
    return times.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _session_rows(sessions: pd.DataFrame) -> pd.DataFrame:
    start = pd.DataFrame(
        {
            "EventType": "Session.Start",
            "EventID": "ss-" + sessions["id"],
            "_user": sessions["user_id"],
            "_t": sessions["started_at"],
            "_course": sessions["course_id"],
            "SessionID": sessions["id"],
            "_code": "",
        }
    )
    ended = sessions[sessions["ended_at"].notna()]
    end = pd.DataFrame(
        {
            "EventType": "Session.End",
            "EventID": "se-" + ended["id"],
            "_user": ended["user_id"],
            "_t": ended["ended_at"],
            "_course": ended["course_id"],
            "SessionID": ended["id"],
            "_code": "",
        }
    )
    return pd.concat([start, end], ignore_index=True)


def _run_rows(runs: pd.DataFrame) -> pd.DataFrame:
    base = pd.DataFrame(
        {
            "_user": runs["user_id"],
            "_t": runs["occurred_at"],
            "_course": runs["course_id"],
            "SessionID": runs["session_id"],
            "CodeStateSection": runs["notebook_path"],
            "X-CellID": runs["cell_id"],
            "_code": runs["code"].fillna(""),
            "EventInitiator": "UserDirectAction",
        }
    )
    ids = "run-" + runs["id"].astype("string")
    syntax = runs["error_type"].astype("string").isin(SYNTAX_ERRORS).fillna(False).to_numpy()
    ok = runs["success"].fillna(True).to_numpy(dtype=bool)
    message = runs["error_message"].fillna("")
    executed = base[~syntax].assign(
        EventType="Run.Program",
        EventID=ids[~syntax],
        ExecutionResult=["Success" if s else "Error" for s in ok[~syntax]],
        ProgramErrorOutput=message[~syntax].where(~ok[~syntax], ""),
    )
    compiled = base[syntax].assign(EventType="Compile", EventID=ids[syntax], CompileResult="Error")
    errors = base[syntax].assign(
        EventType="Compile.Error",
        EventID="cerr-" + runs["id"][syntax].astype("string"),
        ParentEventID=ids[syntax],
        CompileMessageType=runs["error_type"][syntax].astype("string"),
        CompileMessageData=message[syntax],
        EventInitiator="ToolReaction",
    )
    return pd.concat([executed, compiled, errors], ignore_index=True)


def _context_code(context: Any) -> str:
    if not isinstance(context, str) or not context:
        return ""
    try:
        value = json.loads(context)
    except ValueError:
        return ""
    code = value.get("code") if isinstance(value, dict) else None
    return code if isinstance(code, str) else ""


def _help_rows(interactions: pd.DataFrame) -> pd.DataFrame:
    request_ids = "help-" + interactions["id"]
    requests = pd.DataFrame(
        {
            "EventType": "X-Help.Request",
            "EventID": request_ids,
            "_user": interactions["user_id"],
            "_t": interactions["created_at"],
            "_course": interactions["course_id"],
            "SessionID": interactions["session_id"],
            "CodeStateSection": interactions["notebook_path"],
            "X-CellID": interactions["cell_id"],
            "X-Turn": interactions["turn"].astype("Int64"),
            "_code": [_context_code(c) for c in interactions["context"]],
            "EventInitiator": "UserDirectAction",
            "X-RequestType": interactions["classification"].astype("string"),
            "X-TutorMode": interactions["mode"].astype("string"),
            "X-HelpMessage": interactions["prompt"],
        }
    )
    answered = interactions["answer"].notna() & interactions["completed_at"].notna()
    ans = interactions[answered]
    debugging = ans["classification"].astype("string").eq("debugging").fillna(False)
    mode, guardrail = ans["mode"].astype("string"), ans["guardrail"].astype("string")
    intervention_type = "LLM tutor, " + mode + " mode, guardrail " + guardrail.fillna("none")
    answers = pd.DataFrame(
        {
            "EventType": "Intervention",
            "EventID": "answer-" + ans["id"],
            "_user": ans["user_id"],
            "_t": ans["completed_at"],
            "_course": ans["course_id"],
            "SessionID": ans["session_id"],
            "_code": "",
            "ParentEventID": request_ids[answered],
            "EventInitiator": "ToolReaction",
            "InterventionCategory": ["Feedback" if d else "Hint" for d in debugging],
            "InterventionType": intervention_type,
            "InterventionMessage": ans["answer"],
            "X-Helpful": ans["helpful"].astype("boolean").astype("string").str.lower(),
            "X-Score": ans["score"].astype("Int64"),
        }
    )
    return pd.concat([requests, answers], ignore_index=True)


def build_main_table(
    sessions: pd.DataFrame,
    events: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    key: str,
    course_codes: dict[int, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MainTable and CodeStates from loaded frames (pure: no database, no files)."""
    runs = events[events["event_type"] == "cell.executed"]
    frame = pd.concat(
        [_session_rows(sessions), _run_rows(runs), _help_rows(interactions)], ignore_index=True
    )
    frame["_rank"] = frame["EventType"].map(TYPE_RANK).astype("int64")
    frame = frame.sort_values(["_t", "_rank", "EventID"], kind="stable").reset_index(drop=True)
    frame["Order"] = pd.RangeIndex(1, len(frame) + 1)
    subjects = {u: pseudonym(u, key) for u in frame["_user"].dropna().unique()}
    frame["SubjectID"] = frame["_user"].map(subjects)
    frame["ToolInstances"] = TOOL_INSTANCES
    frame["CodeStateID"] = [code_state_id(c) for c in frame["_code"]]
    frame["ServerTimestamp"] = _iso(frame["_t"])
    frame["ServerTimezone"] = "UTC"
    codes = course_codes or {}
    frame["CourseID"] = [codes.get(c, str(c)) if pd.notna(c) else "" for c in frame["_course"]]
    code_states = (
        pd.DataFrame({"CodeStateID": frame["CodeStateID"], "Code": frame["_code"]})
        .drop_duplicates("CodeStateID")
        .reset_index(drop=True)
    )
    main = frame.reindex(columns=list(MAIN_COLUMNS))
    return main, code_states


def _course_codes(source: Source) -> dict[int, str]:
    from analytics.load import raw_connection

    with raw_connection(source) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, code FROM courses")
        return dict(cur.fetchall())


def export_progsnap2(
    out_dir: str | Path,
    source: Source = None,
    *,
    courses: list[int | str] | None = None,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    key: str | None = None,
    progress: bool = True,
    chunk_rows: int = 50_000,
) -> dict[str, int]:
    """Write a ProgSnap2 dataset of consenting students to `out_dir`; returns counts."""
    out = Path(out_dir)
    (out / "CodeStates").mkdir(parents=True, exist_ok=True)
    key = key or get_settings().research_key()
    filters = {"courses": courses, "since": since, "until": until}
    steps = tqdm(total=4, desc="loading", disable=not progress, unit="table")
    sessions = load_sessions(source, **filters)
    steps.update()
    events = load_events(source, event_types=["cell.executed"], include_text=True, **filters)
    steps.update()
    interactions = load_interactions(source, include_text=True, **filters)
    steps.update()
    main, code_states = build_main_table(
        sessions, events, interactions, key=key, course_codes=_course_codes(source)
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
            ("IsEventOrderingConsistent", "true"),
            ("EventOrderScope", "Global"),
            ("EventOrderScopeColumns", ""),
            ("CodeStateRepresentation", "Table"),
        ],
        columns=["Property", "Value"],
    )
    metadata.to_csv(out / "DatasetMetadata.csv", index=False)
    return {
        "events": len(main),
        "subjects": int(main["SubjectID"].nunique()),
        "code_states": len(code_states),
    }
