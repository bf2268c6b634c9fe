"""ProgSnap2 rows of each kind of trace: sessions, cell runs, tutor requests and outcomes.

Each builder returns a frame of MainTable columns plus private ones (``_user``,
``_server``/``_client`` timestamps, ``_course``, ``_code``), which
``analytics.progsnap2.build_main_table`` orders, pseudonymises and writes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

import pandas as pd

from ainative.notebook.capture import TUTOR_CELL_PREFIXES  # the widget's own rule

SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
# A line that only loads or shows the tutor: the tutor's own cell, not a program run.
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


def _ids(prefix: str, kind: str, values: pd.Series, key: str) -> list[str]:
    return [f"{prefix}-{keyed_id(kind, v, key)}" for v in values]


def _session_ids(values: pd.Series, key: str) -> list[str]:
    return ["" if pd.isna(v) else keyed_id("session", v, key) for v in values]


def session_rows(sessions: pd.DataFrame, key: str) -> pd.DataFrame:
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


def run_rows(runs: pd.DataFrame, key: str) -> pd.DataFrame:
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


def help_rows(interactions: pd.DataFrame, key: str, conditions: pd.Series) -> pd.DataFrame:
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
