"""The codebook shipped inside every ProgSnap2 export: what each event type and column means.

ProgSnap2 asks a dataset to define its X- event types and columns; this module is that
definition, written next to the data as ``codebook.csv`` (Kind, Name, AppliesTo,
Definition) and ``README.md`` (the same, plus the consent, clock, pseudonym and cell rules).
"""

from __future__ import annotations

import csv
from pathlib import Path

from ainative.csv_cells import escape
from analytics.progsnap2_codebook_help import HELP_ENTRIES

CONSENT_RULE = (
    "Only what was recorded while the student's research consent was in force is exported: "
    "a row is included when, at the moment it was recorded, the student's latest dated "
    "consent record said yes (students with no record, from before consent was dated, "
    "count with their current choice). Other students' rows never leave the database."
)
PSEUDONYM_RULE = (
    "Every identifier is a keyed pseudonym: SubjectID, EventID, SessionID, ParentEventID and "
    "CodeStateID are HMAC-SHA256 digests keyed by the platform's research key "
    "(PSEUDONYM_KEY), stable across exports made with the same key and not reversible "
    "without it. CourseID is the course's code; AssignmentID and ProblemID name notebooks "
    "and cells, not people."
)
CLOCK_RULE = (
    "Order follows when each event happened. A cell run happened on the notebook kernel: "
    "its ClientTimestamp is the kernel's clock, and it has no ServerTimestamp (the server "
    "never saw it happen; it received a report of it, in batches about every 2 seconds "
    "and later after a network failure, at X-ReceivedTimestamp). Tutor requests, answers "
    "and sessions happened on the server: their ServerTimestamp is the server's clock and "
    "they have no ClientTimestamp. Order sorts by that time (ClientTimestamp for runs, "
    "ServerTimestamp otherwise), then cause before effect (a Compile before its "
    "Compile.Error or Run.Program, a request before its outcome), then EventID. So a run "
    "that failed before the student asked about it comes first even when its report "
    "arrived after the question. The order interleaves two clocks, so "
    "IsEventOrderingConsistent is false whenever the dataset holds a run; the API refuses "
    "kernel events whose clock is more than 10 minutes off the server's, which bounds the "
    "possible disorder. Every timestamp is ISO 8601 with its UTC offset (+00:00)."
)
CODESTATES_RULE = (
    "Declared deviation from the spec: a CodeState is one notebook cell's source at the "
    "event (the cell that ran, or the cell sent with a request), not the student's whole "
    "notebook. ProblemID says which cell; the other cells' sources at that moment are not "
    "recorded. CodeStates use the Table representation, so no row has a CodeStateSection."
)
SPEC_RULE = (
    "Version 1.0 means the ProgSnap2 1.0 specification (CSSPLICE), read as the machine-"
    "readable spec progsnap2.yaml of CSSPLICE/ProgSnapToolbox (src/spec, commit 4b9f3af) "
    "states its event types and their required columns. Deviations: CodeStates are cells "
    "(the CodeStates rule); ProgramErrorOutput holds the error text itself rather than a "
    "URL of a file holding it; the spec's Compile and Compile.Error list CodeStateSection, "
    "which the same spec says not to use with Table CodeStates, so it is left out."
)
CELLS_RULE = (
    "Every CSV file of the dataset is spreadsheet-safe (OWASP's rule against CSV "
    "injection): a text cell whose recorded text starts with a formula character (= + - @, "
    "a tab, carriage return or line feed, or a full-width or other compatibility form of "
    "one such as ＝) or with an apostrophe (') is written with one apostrophe in front, so "
    "a spreadsheet shows it as text and never runs it. To recover the recorded text, "
    "remove one leading apostrophe from every cell that starts with one: no other cell "
    "does. The files are comma-separated; a spreadsheet told to split on another character "
    "(; in some locales) reads cells the files do not have."
)
TEXT_RULES = {
    "keep": "Prompts, answers, staff replies and code are exported as recorded.",
    "scrub": (
        "Prompts, answers, staff replies, code, error output and notebook paths are "
        "scrubbed: e-mail addresses become <email>, the usernames and e-mail local parts "
        "of the course's members become <name>, and the user part of home directories (/home/x/, "
        "/Users/x/, C:\\Users\\x\\) becomes <user>. Names the platform does not store "
        "(a first name typed in a question) are not found; a username that is also an "
        "ordinary word (3 characters or more) is replaced wherever the word appears."
    ),
    "drop": (
        "Prompts (X-HelpMessage), staff replies (X-ReplyMessage) and code (CodeStates' "
        "Code) are empty; answers "
        "(InterventionMessage, which the spec requires on an Intervention) read "
        "'[text not exported]'. CodeStateIDs are kept so that equal and changed code "
        "stay visible. "
        "Error output and notebook paths are scrubbed as in the scrub mode."
    ),
}

# (Kind, Name, AppliesTo, Definition)
ENTRIES: tuple[tuple[str, str, str, str], ...] = (
    ("EventType", "Session.Start", "", "A tutor session began (the widget or API opened it)."),
    ("EventType", "Session.End", "", "A tutor session was closed."),
    (
        "EventType",
        "Compile",
        "",
        "Python compiled a notebook cell before running it (fabricated from the cell run: "
        "IsFabricatedEvent=true). CompileResult is Success, or Error for a SyntaxError, "
        "IndentationError or TabError.",
    ),
    (
        "EventType",
        "Compile.Error",
        "",
        "The compile error of a failed Compile; ParentEventID is that Compile.",
    ),
    (
        "EventType",
        "Run.Program",
        "",
        "A notebook cell that compiled was run; ExecutionResult Success or Error, the "
        "error in ProgramErrorOutput. The tutor's own cells (%tutor, %load_ext ainative, "
        "cells that only import or show the widget) are not runs and are left out.",
    ),
    (
        "EventType",
        "X-Help.Request",
        "",
        "The student asked the AI tutor; the question is X-HelpMessage, the code sent with "
        "it (the student's current cell, when included) is its CodeState.",
    ),
    (
        "EventType",
        "Intervention",
        "",
        "The tutor's answer to a request (ParentEventID), shown to the student: "
        "InterventionCategory Feedback for a debugging request, Hint otherwise.",
    ),
    (
        "EventType",
        "X-Help.Refused",
        "",
        "Outcome of a request whose answer the guardrail refused (it would have given the "
        "solution); ParentEventID is the request, InterventionMessage the refusal shown.",
    ),
    (
        "EventType",
        "X-Help.Failed",
        "",
        "Outcome of a request the tutor could not answer (the model failed or timed out; "
        "the student saw an error); ParentEventID is the request.",
    ),
    (
        "Column",
        "ClientTimestamp",
        "Compile; Compile.Error; Run.Program",
        "The notebook kernel's clock when the cell ran: when the run happened.",
    ),
    (
        "Column",
        "ServerTimestamp",
        "sessions, requests and their outcomes",
        "The server's clock when the event happened (see the clock rule); empty on runs.",
    ),
    (
        "Column",
        "X-ReceivedTimestamp",
        "Compile; Compile.Error; Run.Program",
        "When the server received the kernel's report of the run (the server's clock); "
        "seconds after the run, many runs of one batch alike. Not used for Order.",
    ),
    ("Column", "AssignmentID", "runs and requests", "The notebook's path."),
    (
        "Column",
        "ProblemID",
        "runs and requests",
        "The notebook cell: '<notebook path>#<cell id>' (Jupyter cell ids are only unique "
        "within their notebook).",
    ),
    (
        "Column",
        "CodeStateID",
        "all",
        "The code at the event (CodeStates/CodeStates.csv): one cell's source, see the "
        "CodeStates rule; blank where no code is known (sessions, answers, requests sent "
        "without code).",
    ),
    (
        "Column",
        "ExperimentalCondition",
        "all",
        "'<experiment> (experiment <id>): <arm>'. A request carries the arm it ran under; the "
        "student's other events carry their assigned arm while the experiment ran (from its "
        "start to its end). Empty outside experiments.",
    ),
    (
        "Column",
        "IsFabricatedEvent",
        "Compile",
        "true: the Compile event is derived from the cell run, not logged by the kernel.",
    ),
    ("Column", "EventID", "all", "The event's pseudonymous id, prefixed by its kind."),
    ("Column", "SubjectID", "all", "The student's pseudonym (see the pseudonym rule)."),
    (
        "Column",
        "ToolInstances",
        "all",
        "'AI-Native Tutor <version> (commit <git commit>); Python 3 (Jupyter)': the "
        "deployed code that recorded and exported the data; a request and its outcome add "
        "'; LLM <provider>:<model>; prompt <prompt version>' (the model and prompt it ran "
        "with).",
    ),
    (
        "Column",
        "Order",
        "all",
        "1, 2, ... a strict total order by when events happened (see the clock rule).",
    ),
    ("Column", "CourseID", "all", "The course's code."),
    ("Column", "SessionID", "all", "The tutor session's pseudonym; empty outside sessions."),
    (
        "Column",
        "ParentEventID",
        "Compile.Error; Intervention; X-Help.Refused; X-Help.Failed",
        "The Compile of a Compile.Error; the request of an answer or outcome.",
    ),
    (
        "Column",
        "EventInitiator",
        "all but Session.*",
        "UserDirectAction for the student's runs, requests and hand-offs (asking a person, "
        "withdrawing), ToolReaction for compiler and tutor output, InstructorDirectAction "
        "for what a staff member (instructor or teaching assistant) did: claiming, replying "
        "to and resolving a hand-off.",
    ),
    ("Column", "ExecutionResult", "Run.Program", "Success or Error."),
    (
        "Column",
        "ProgramErrorOutput",
        "Run.Program",
        "The error the cell raised, as text in the column (not a URL to a file).",
    ),
    (
        "Column",
        "SourceLocation",
        "Compile.Error",
        "'Text:<line>': the line of the cell the syntax error is on (SyntaxError.lineno, "
        "or for rows recorded before the line was stored, the line Python's message "
        "names); 'Unknown' when neither is known.",
    ),
    ("Column", "CompileResult", "Compile", "Success or Error."),
    ("Column", "CompileMessageType", "Compile.Error", "The exception's class (SyntaxError...)."),
    (
        "Column",
        "CompileMessageData",
        "Compile.Error",
        "The compiler's message, its first line (SyntaxError.msg, without the cell's "
        "generated file name); the error type when no message was recorded.",
    ),
    ("Column", "InterventionCategory", "Intervention", "Feedback (debugging) or Hint."),
    (
        "Column",
        "InterventionType",
        "Intervention; X-Help.Refused",
        "'LLM tutor, <mode> mode, guardrail <passed|rewritten|refused|withheld|none>'.",
    ),
    (
        "Column",
        "InterventionMessage",
        "Intervention; X-Help.Refused",
        "The text the student was shown (see the text rule; '[text not exported]' under "
        "--text drop).",
    ),
    (
        "Column",
        "X-RequestType",
        "X-Help.Request; X-Escalation.Request",
        "The request's class (debugging, ...); on a hand-off, the class of the tutor turn "
        "handed over.",
    ),
    ("Column", "X-TutorMode", "X-Help.Request", "The tutor mode the request was made in."),
    (
        "Column",
        "X-HelpMessage",
        "X-Help.Request; X-Escalation.Request",
        "The student's question, or the line written to a person (see the text rule).",
    ),
    (
        "Column",
        "X-PolicyVersion",
        "X-Help.Request and its outcome",
        "The version of the course policy the request ran under.",
    ),
    (
        "Column",
        "X-Helpful",
        "Intervention; X-Help.Refused",
        "The student's thumbs on the answer: true or false; empty when not given.",
    ),
    (
        "Column",
        "X-Score",
        "Intervention; X-Help.Refused",
        "The student's 1-5 score of the answer; empty when not given. A separate scale from "
        "X-Helpful: a thumbs-up is never a score.",
    ),
    (
        "Column",
        "X-Model",
        "Intervention; X-Help.Refused",
        "The model that wrote the answer, as the provider named it in its response (the "
        "requested one when it named none); the offline provider's names (offline-...) are "
        "the platform's rule-based demo tutor, not a language model.",
    ),
    (
        "Column",
        "X-PromptVersion",
        "Intervention; X-Help.Refused",
        "The version of the tutor's prompt templates (and variant) the request was answered "
        "with; equal versions mean the same system prompt text.",
    ),
    (
        "Column",
        "X-Guardrail",
        "Intervention; X-Help.Refused",
        "The guardrail's verdict on the model's answer before the student saw it: passed, "
        "rewritten, refused or withheld.",
    ),
    (
        "Column",
        "X-CacheHit",
        "Intervention; X-Help.Refused",
        "true when the answer was served from the response cache (an identical first "
        "question under the same policy), with no model call for this request.",
    ),
    (
        "Column",
        "X-PromptTokens",
        "Intervention; X-Help.Refused",
        "Prompt tokens of the model call that wrote the answer, as the provider counted "
        "them; on a cache hit, the original call's (not spent again).",
    ),
    (
        "Column",
        "X-CompletionTokens",
        "Intervention; X-Help.Refused",
        "Completion tokens of that call, as the provider counted them; on a cache hit, the "
        "original call's.",
    ),
    ("Column", "X-CellID", "runs and requests", "The Jupyter cell id as recorded."),
    ("Column", "X-Turn", "X-Help.Request", "The request's turn in its conversation (1, 2, ...)."),
    *HELP_ENTRIES,
)


def write_codebook(out: Path, *, text_mode: str, consistent: bool) -> None:
    """Write ``codebook.csv`` and ``README.md`` into the dataset folder `out`."""
    with (out / "codebook.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        rows = [
            ("Kind", "Name", "AppliesTo", "Definition"),
            *ENTRIES,
            ("Rule", "Consent", "", CONSENT_RULE),
            ("Rule", "Pseudonyms", "", PSEUDONYM_RULE),
            ("Rule", "Clock", "", CLOCK_RULE),
            ("Rule", "CodeStates", "", CODESTATES_RULE),
            ("Rule", "Specification", "", SPEC_RULE),
            ("Rule", "Text", text_mode, TEXT_RULES[text_mode]),
            ("Rule", "Cells", "", CELLS_RULE),
        ]
        writer.writerows([escape(cell) for cell in row] for row in rows)
    lines = [
        "# AI-Native Tutor: ProgSnap2 dataset",
        "",
        "MainTable.csv, DatasetMetadata.csv and CodeStates/CodeStates.csv follow ProgSnap2 "
        "1.0 (the Specification rule); codebook.csv defines every event type and column "
        "used, X- ones included.",
        "",
        f"**Consent.** {CONSENT_RULE}",
        "",
        f"**Pseudonyms.** {PSEUDONYM_RULE}",
        "",
        f"**Clock and order.** {CLOCK_RULE} In this export IsEventOrderingConsistent is "
        f"{'true' if consistent else 'false'}.",
        "",
        f"**CodeStates.** {CODESTATES_RULE}",
        "",
        f"**Specification.** {SPEC_RULE}",
        "",
        f"**Text ({text_mode}).** {TEXT_RULES[text_mode]}",
        "",
        f"**Cells.** {CELLS_RULE}",
        "",
        "**Provenance and withdrawals.** provenance.json names the code version, parameters "
        "and package versions this export ran with. WithdrawnSubjects.csv lists the "
        "SubjectIDs of students who withdrew their consent since the previous export made "
        "with the same key: delete their rows from copies of earlier exports.",
        "",
        "## Codebook",
        "",
        "| Kind | Name | Applies to | Definition |",
        "|---|---|---|---|",
    ]
    lines += [f"| {k} | {n} | {a} | {d} |" for k, n, a, d in ENTRIES]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
