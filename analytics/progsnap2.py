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
- asking a person, and staff's claim, replies and resolution, or the student's
  withdrawal -> X-Escalation.Request / .Claim / .Reply / .Resolve / .Withdraw
  (analytics.progsnap2_escalations; ParentEventID = the request)
Order follows when events happened: the kernel's clock (ClientTimestamp) for cell runs,
the server's (ServerTimestamp) for requests, answers and sessions; a run's receive time
is X-ReceivedTimestamp, and IsEventOrderingConsistent is false whenever the order
interleaves the two clocks (the clock rule in the codebook). The tutor's own cells
(%tutor, %load_ext ainative, widget-only cells) are not runs and are left out.
Every id is an HMAC-SHA256 pseudonym keyed by Settings.research_key().
"""

from __future__ import annotations

from dataclasses import asdict, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

import ainative
from ainative.config import get_settings
from ainative.course.event_types import CELL_EXECUTED
from ainative.csv_cells import escape_value
from analytics import provenance
from analytics.load import (
    Source,
    load_assignments,
    load_events,
    load_experiments,
    load_interactions,
    load_sessions,
)
from analytics.load_escalations import load_escalations, load_replies
from analytics.progsnap2_codebook import write_codebook
from analytics.progsnap2_conditions import assigned_conditions, experiment_conditions
from analytics.progsnap2_escalations import escalation_rows
from analytics.progsnap2_rows import (
    DROPPED_TEXT,
    help_rows,
    is_tutor_cell,
    keyed_id,
    pseudonym,
    run_rows,
    session_rows,
)
from analytics.provenance import record_run
from analytics.scrub import Scrubber, treat
from analytics.trace_filter import TraceFilter

__all__ = [
    "build_main_table",
    "dataset_metadata",
    "export_progsnap2",
    "is_tutor_cell",
    "keyed_id",
    "pseudonym",
    "tool_instances",
]

SPEC_VERSION = "1.0"  # ProgSnap2 v1.0; see SPEC_SOURCE
SPEC_SOURCE = (
    "ProgSnap2 1.0 (CSSPLICE), event types and required columns as in the machine-readable "
    "spec progsnap2.yaml of CSSPLICE/ProgSnapToolbox (src/spec, commit 4b9f3af)"
)
MAIN_COLUMNS = (
    "EventType",
    "EventID",
    "Order",
    "SubjectID",
    "ToolInstances",
    "CodeStateID",
    "ServerTimestamp",
    "ClientTimestamp",
    "X-ReceivedTimestamp",
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
    "X-Model",
    "X-PromptVersion",
    "X-Guardrail",
    "X-CacheHit",
    "X-PromptTokens",
    "X-CompletionTokens",
    "X-CellID",
    "X-Turn",
    "X-PlatformAssignmentID",
    "X-LeakScore",
    "X-Leaked",
    "X-LeakDecision",
    "X-PassedHiddenTests",
    "X-TutorTurns",
    "X-StaffID",
    "X-StaffRole",
    "X-ReplyMessage",
)
# RFC 4180 line ends: the csv writer then quotes any field holding \r or \n. With "\n" a
# lone carriage return in a student's code went unquoted and split the row on reading.
# Text cells pass through spreadsheet_safe first (the formula rule of ainative.csv_cells).
CSV_OPTIONS: dict[str, Any] = {"index": False, "lineterminator": "\r\n"}
# Tie-break for events with the same timestamp: the causal order.
TYPE_RANK = {
    "Session.Start": 0,
    "Compile": 1,
    "Compile.Error": 2,
    "Run.Program": 2,
    "X-Help.Request": 3,
    "Intervention": 4,
    "X-Help.Refused": 4,
    "X-Help.Failed": 4,
    "X-Escalation.Request": 5,
    "X-Escalation.Claim": 6,
    "X-Escalation.Reply": 7,
    "X-Escalation.Resolve": 8,
    "X-Escalation.Withdraw": 8,
    "Session.End": 9,
}


@lru_cache(maxsize=1)
def deployed_commit() -> str:
    """The commit of the code that runs: the one rule of analytics.provenance."""
    return provenance.code_version()


def tool_instances() -> str:
    """The platform's tool instance: its version and deployed commit, and the notebook's."""
    return (
        f"AI-Native Tutor {ainative.__version__} (commit {deployed_commit()}); Python 3 (Jupyter)"
    )


def dataset_metadata(consistent: bool) -> pd.DataFrame:
    """DatasetMetadata.csv's rows (Property, Value)."""
    return pd.DataFrame(
        [
            ("Version", SPEC_VERSION),
            ("IsEventOrderingConsistent", "true" if consistent else "false"),
            ("EventOrderScope", "Global"),
            ("EventOrderScopeColumns", ""),
            ("CodeStateRepresentation", "Table"),
        ],
        columns=["Property", "Value"],
    )


def _iso(times: pd.Series) -> pd.Series:
    out = times.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    return out.fillna("")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells cannot start a formula (ainative.csv_cells)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(escape_value)
    return out


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
    escalations: pd.DataFrame | None = None,
    replies: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """MainTable, CodeStates and whether the order follows one clock (pure: no database).

    `text` is keep, scrub or drop for prompts, answers, replies and code (scrub also
    treats error output and notebook paths, drop scrubs those). `escalations` and
    `replies` (``analytics.load_escalations``) add the hand-offs to a person.
    """
    experiments = experiments if experiments is not None else pd.DataFrame()
    conditions = (
        experiment_conditions(interactions, experiments)
        if not experiments.empty
        else pd.Series(None, index=interactions.index, dtype="object")
    )
    runs = events[events["event_type"] == CELL_EXECUTED]
    frame = pd.concat(
        [
            session_rows(sessions, key),
            run_rows(runs, key),
            help_rows(interactions, key, conditions),
            *(
                [escalation_rows(escalations, replies, key)]
                if escalations is not None and replies is not None
                else []
            ),
        ],
        ignore_index=True,
    )
    for column in ("_server", "_client", "_received", "_tools", "ExperimentalCondition"):
        if column not in frame:
            frame[column] = None
    for column in ("_server", "_client", "_received"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    # when it happened: the kernel's clock for runs, the server's for everything else
    frame["_t"] = frame["_client"].fillna(frame["_server"])
    consistent = bool(frame["_server"].notna().all())  # one clock only when no run is in it
    if assignments is not None:
        frame["ExperimentalCondition"] = assigned_conditions(frame, experiments, assignments)
    frame["_rank"] = frame["EventType"].map(TYPE_RANK).astype("int64")
    frame = frame.sort_values(["_t", "_rank", "EventID"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame["Order"] = pd.RangeIndex(1, len(frame) + 1)
    subjects = {u: pseudonym(u, key) for u in frame["_user"].dropna().unique()}
    frame["SubjectID"] = frame["_user"].map(subjects)
    platform = tool_instances()
    frame["ToolInstances"] = [
        f"{platform}; {t}" if isinstance(t, str) and t else platform for t in frame["_tools"]
    ]
    frame["CodeStateID"] = [
        keyed_id("code", c, key) if isinstance(c, str) else "" for c in frame["_code_id"]
    ]
    frame["ServerTimestamp"] = _iso(frame["_server"])
    frame["ClientTimestamp"] = _iso(frame["_client"])
    frame["X-ReceivedTimestamp"] = _iso(frame["_received"])
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
    for column in ("X-HelpMessage", "InterventionMessage", "X-ReplyMessage", "_code"):
        if column not in frame:
            frame[column] = None
        frame[column] = treat(frame[column].tolist(), mode, scrubber)
    for column in ("ProgramErrorOutput", "CompileMessageData", "AssignmentID", "ProblemID"):
        frame[column] = treat(frame[column].tolist(), paths_and_errors, scrubber)
    if mode == "drop":  # the spec requires an Intervention's message: a defined placeholder
        shown = frame["EventType"].isin(["Intervention", "X-Help.Refused"])
        frame.loc[shown, "InterventionMessage"] = DROPPED_TEXT


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
    where: TraceFilter | None = None,
    key: str | None = None,
    text: str = "scrub",
    progress: bool = True,
    chunk_rows: int = 50_000,
) -> dict[str, int]:
    """Write a ProgSnap2 dataset of consenting students to `out_dir`; returns counts.

    `where` may set courses, since and until (the window of each table's time column).
    `text`: keep, scrub (the default: e-mails, course members' names and home paths
    removed) or drop (prompts, answers and code left empty).
    """
    out = Path(out_dir)
    (out / "CodeStates").mkdir(parents=True, exist_ok=True)
    key = key or get_settings().research_key()
    where = where or TraceFilter()
    where.refuse_except("export_progsnap2", ("courses", "since", "until"))
    courses = TraceFilter(courses=where.courses)
    steps = tqdm(total=6, desc="loading", disable=not progress, unit="table")
    sessions = load_sessions(source, where=where)
    steps.update()
    events = load_events(
        source, where=replace(where, event_types=[CELL_EXECUTED]), include_text=True
    )
    steps.update()
    interactions = load_interactions(source, where=where, include_text=True)
    steps.update()
    experiments = load_experiments(source, where=courses)
    # a lookup for rows already exported (consent applies to those rows, not to this map)
    assignments = load_assignments(source, where=replace(courses, include_non_consenting=True))
    escalations = load_escalations(source, where=where, include_text=True)
    replies = load_replies(source, where=replace(where, since=None, until=None), include_text=True)
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
        escalations=escalations,
        replies=replies,
    )
    steps.update()
    steps.close()
    path = out / "MainTable.csv"
    bar = tqdm(total=len(main), desc="MainTable.csv", disable=not progress, unit="event")
    for start in range(0, max(len(main), 1), chunk_rows):
        chunk = spreadsheet_safe(main.iloc[start : start + chunk_rows])
        chunk.to_csv(path, mode="w" if start == 0 else "a", header=start == 0, **CSV_OPTIONS)
        bar.update(len(chunk))
    bar.close()
    spreadsheet_safe(code_states).to_csv(out / "CodeStates" / "CodeStates.csv", **CSV_OPTIONS)
    spreadsheet_safe(dataset_metadata(consistent)).to_csv(
        out / "DatasetMetadata.csv", **CSV_OPTIONS
    )
    write_codebook(out, text_mode=text, consistent=consistent)
    parameters = {"where": asdict(where), "text": text, "format": "ProgSnap2 1.0"}
    record_run(out, source, kind="progsnap2", key=key, parameters=parameters)
    return {
        "events": len(main),
        "subjects": int(main["SubjectID"].nunique()),
        "code_states": len(code_states),
    }
