"""ProgSnap2 rows of each kind of trace: sessions, cell runs, tutor requests and outcomes.

Each builder returns a frame of MainTable columns plus private ones (``_user``,
``_server``/``_client``/``_received`` timestamps, ``_course``, ``_code``, ``_tools``), which
``analytics.progsnap2.build_main_table`` orders, pseudonymises and writes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

import pandas as pd

from ainative.course.pseudonyms import pseudonym as pseudonym  # the SubjectID, one rule
from ainative.notebook.capture import is_tutor_cell  # the widget's own rule

SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
__all__ = [
    "DROPPED_TEXT",
    "SYNTAX_ERRORS",
    "UNKNOWN_LOCATION",
    "help_rows",
    "is_tutor_cell",
    "keyed_id",
    "pseudonym",
    "run_rows",
    "source_location",
]
UNKNOWN_LOCATION = "Unknown"  # SourceLocation when the kernel recorded no line (codebook)
DROPPED_TEXT = "[text not exported]"  # InterventionMessage under --text drop (codebook)
# Python's own SyntaxError text ends "(<file>, line N)": the line of rows recorded before
# the recorder stored error_line.
_LINE_IN_MESSAGE = re.compile(r"line (\d+)\)?\s*$")


def keyed_id(kind: str, value: Any, key: str) -> str:
    """A keyed pseudonym of a database id (an event, session or interaction), 80 bits."""
    return hmac.new(key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:20]


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
        "AssignmentID": frame["notebook_path"],
        "ProblemID": _problem(frame["notebook_path"], frame["cell_id"]),
        "X-CellID": frame["cell_id"],
    }


def source_location(lines: pd.Series, messages: pd.Series) -> list[str]:
    """ProgSnap2 SourceLocation of each error: ``Text:<line>`` in the cell, else Unknown."""
    out = []
    for line, message in zip(lines, messages, strict=True):
        if pd.isna(line) and isinstance(message, str):
            found = _LINE_IN_MESSAGE.search(message)
            line = int(found.group(1)) if found else None
        out.append(UNKNOWN_LOCATION if line is None or pd.isna(line) else f"Text:{int(line)}")
    return out


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series(None, index=frame.index)


def run_rows(runs: pd.DataFrame, key: str) -> pd.DataFrame:
    flagged = _column(runs, "tutor_cell").astype("boolean").fillna(False).to_numpy(dtype=bool)
    runs = runs.loc[
        [not (f or is_tutor_cell(c)) for f, c in zip(flagged, runs["code"], strict=True)]
    ]
    compile_ids = pd.Series(_ids("compile", "event", runs["id"], key), index=runs.index)
    base = pd.DataFrame(
        {
            "_user": runs["user_id"],
            "_received": runs["created_at"],
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
    first_line = _column(runs, "error_first_line").fillna(message.str.split("\n").str[0])
    first_line = first_line.where(first_line != "", runs["error_type"].astype("string"))
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
        CompileMessageData=first_line[syntax].fillna(""),
        SourceLocation=source_location(_column(runs, "error_line")[syntax], message[syntax]),
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


def _llm_tools(interactions: pd.DataFrame) -> list[str]:
    """Each request's tool instances beyond the platform: the model and the prompt version."""
    out = []
    for provider, model, prompt in zip(
        _column(interactions, "provider"),
        _column(interactions, "model"),
        _column(interactions, "prompt_version"),
        strict=True,
    ):
        parts = []
        if isinstance(model, str) and model:
            parts.append(f"LLM {provider}:{model}" if isinstance(provider, str) else f"LLM {model}")
        if isinstance(prompt, str) and prompt:
            parts.append(f"prompt {prompt}")
        out.append("; ".join(parts))
    return out


def _llm_side(interactions: pd.DataFrame) -> dict[str, Any]:
    """The provenance columns of an answer: which model and prompt, the guardrail's
    verdict, whether the cache served it, and the tokens of the call that wrote it.

    A frame without one of the source columns (hand-built, not ``load_interactions``)
    exports that column empty.
    """

    def column(name: str, dtype: str) -> pd.Series:
        if name not in interactions:
            return pd.Series(pd.NA, index=interactions.index, dtype=dtype)
        return interactions[name].astype(dtype)

    cache_hit = column("cache_hit", "boolean").astype("string").str.lower()
    return {
        "X-Model": column("model", "string"),
        "X-PromptVersion": column("prompt_version", "string"),
        "X-Guardrail": column("guardrail", "string"),
        "X-CacheHit": cache_hit,
        "X-PromptTokens": column("prompt_tokens", "Int64"),
        "X-CompletionTokens": column("completion_tokens", "Int64"),
    }


def _leak_side(interactions: pd.DataFrame) -> dict[str, Any]:
    """The answer's leak check against its assignment's reference (empty when unscored)."""

    def flag(name: str) -> pd.Series:
        return _column(interactions, name).astype("boolean").astype("string").str.lower()

    return {
        "X-PlatformAssignmentID": _column(interactions, "assignment_id")
        .astype("Int64")
        .astype("string"),
        "X-LeakScore": _column(interactions, "leak_score").astype("Float64").round(4),
        "X-Leaked": flag("leaked"),
        "X-LeakDecision": _column(interactions, "leak_decision").astype("string"),
        "X-PassedHiddenTests": flag("passed_hidden_tests"),
    }


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
        "_tools": _llm_tools(interactions),
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
            "X-PlatformAssignmentID": _column(interactions, "assignment_id")
            .astype("Int64")
            .astype("string"),
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
            **_llm_side(interactions),
            **_leak_side(interactions),
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
