"""An independent reader of a ProgSnap2 dataset, written from the specification (v1.0).

It uses the csv module only and no code of the exporter (analytics/), so a mistake the
exporter makes is not repeated here. ``check(folder)`` returns a list of problems (empty
when the dataset conforms); the tests assert it is empty.

What it checks, from the ProgSnap2 1.0 specification (CSSPLICE), as its machine-readable
form states it (progsnap2.yaml of CSSPLICE/ProgSnapToolbox, src/spec):
- DatasetMetadata.csv has Property,Value rows with Version; CodeStateRepresentation and
  EventOrderScope take the spec's values; Table means CodeStates/CodeStates.csv with
  CodeStateID,Code.
- MainTable.csv has the required columns EventType, EventID, SubjectID, ToolInstances,
  CodeStateID, and at least one of ServerTimestamp / ClientTimestamp; every other column
  is a v1.0 column or an X- one; EventID unique; SubjectID, ToolInstances and EventType
  never blank; timestamps are ISO 8601.
- Every non-blank CodeStateID exists in CodeStates; every ParentEventID names an EventID.
- Every v1.0 event type has all of its required columns filled (REQUIRED_BY_EVENT, the
  spec's list), with values from the spec's enums. CodeStateSection is the one exception
  the spec makes itself: it "should not be used for CodeStates in the Table format", so
  with Table CodeStates it must be blank everywhere and is not required.
- Order: integers, a strict total order (no ties) when EventOrderScope is Global; when
  IsEventOrderingConsistent is true, ServerTimestamp is on every row and never goes back
  along Order.
- Every X- event type, X- column and X- intervention category used is defined in the
  dataset's codebook.csv (Kind, Name, ...).

Cells are read by the dataset's own "Cells" rule (its codebook): a cell that starts with
an apostrophe was escaped against spreadsheet formulas, and dropping that one apostrophe
gives the recorded text. ``read_rows`` applies it to every cell of every file.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

REQUIRED = ("EventType", "EventID", "SubjectID", "ToolInstances", "CodeStateID")
_FILE = ("CodeStateSection",)
REQUIRED_BY_EVENT: dict[str, tuple[str, ...]] = {
    "Session.Start": ("SessionID",),
    "Session.End": ("SessionID",),
    "Project.Open": ("ProjectID",),
    "Project.Close": ("ProjectID",),
    "File.Create": _FILE,
    "File.Delete": _FILE,
    "File.Open": _FILE,
    "File.Close": _FILE,
    "File.Save": _FILE,
    "File.Rename": (*_FILE, "DestinationCodeStateSection"),
    "File.Copy": (*_FILE, "DestinationCodeStateSection"),
    "File.Edit": (*_FILE, "EditType"),
    "File.Focus": _FILE,
    "Compile": (*_FILE, "CompileResult"),
    "Compile.Error": (
        "ParentEventID",
        *_FILE,
        "CompileMessageType",
        "CompileMessageData",
        "SourceLocation",
    ),
    "Compile.Warning": (
        "ParentEventID",
        *_FILE,
        "CompileMessageType",
        "CompileMessageData",
        "SourceLocation",
    ),
    "Submit": (),
    "Run.Program": ("ExecutionResult",),
    "Run.Test": ("ExecutionID", "TestID", "ExecutionResult"),
    "Debug.Program": ("ExecutionResult",),
    "Debug.Test": ("ExecutionID", "TestID", "ExecutionResult"),
    "Resource.View": ("ResourceID",),
    "Intervention": (
        "EventInitiator",
        "InterventionCategory",
        "InterventionType",
        "InterventionMessage",
    ),
}
STANDARD_EVENTS = REQUIRED_BY_EVENT  # the v1.0 event types
V1_COLUMNS = frozenset(
    {
        *REQUIRED,
        "Order",
        "ServerTimestamp",
        "ClientTimestamp",
        "CourseID",
        "CourseSectionID",
        "TermID",
        "AssignmentID",
        "AssignmentIsGraded",
        "ProblemID",
        "ProblemIsGraded",
        "Attempt",
        "ExperimentalCondition",
        "TeamID",
        "LoggingErrorID",
        "IsFabricatedEvent",
        "ParentEventID",
        "SessionID",
        "ProjectID",
        "ResourceID",
        "CodeStateSection",
        "DestinationCodeStateSection",
        "EventInitiator",
        "EditType",
        "CompileResult",
        "CompileMessageType",
        "CompileMessageData",
        "SourceLocation",
        "ExecutionID",
        "TestID",
        "ExecutionResult",
        "Score",
        "ExtraCreditScore",
        "ProgramInput",
        "ProgramOutput",
        "ProgramErrorOutput",
        "InterventionCategory",
        "InterventionType",
        "InterventionMessage",
    }
)
METADATA_ENUMS = {
    "CodeStateRepresentation": {"Table", "Directory", "Git"},
    "EventOrderScope": {"Global", "Restricted", "None"},
}
ENUMS = {
    "CompileResult": {"Success", "Warning", "Error"},
    "ExecutionResult": {"Success", "Timeout", "Error", "TestFailed"},
    "EventInitiator": {
        "UserDirectAction",
        "UserIndirectAction",
        "ToolReaction",
        "ToolTimedEvent",
        "InstructorDirectAction",
        "InstructorIndirectAction",
        "TeamMemberDirectAction",
        "TeamMemberIndirectAction",
    },
    "InterventionCategory": {"Feedback", "Hint", "CodeHighlight", "CodeChange", "EarnedGrade"},
    "EditType": {
        "Insert",
        "Delete",
        "Replace",
        "Move",
        "Paste",
        "Undo",
        "Redo",
        "Refactor",
        "Reset",
        "GenericEdit",
    },
}


def recorded(cell: str) -> str:
    """The recorded text of a cell: one leading apostrophe (the formula escape) removed."""
    return cell[1:] if cell.startswith("'") else cell


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV file (every value a string, as recorded)."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [{k: recorded(v) for k, v in row.items()} for row in reader]
        return list(reader.fieldnames or []), rows


def _stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _parses(value: str) -> bool:
    try:
        _stamp(value)
    except ValueError:
        return False
    return True


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes")


def check(folder: Path) -> list[str]:
    """Every way the dataset in `folder` departs from the spec (empty list: none)."""
    problems: list[str] = []
    _, meta_rows = read_rows(folder / "DatasetMetadata.csv")
    meta = {r["Property"]: r["Value"] for r in meta_rows}
    header, rows = read_rows(folder / "MainTable.csv")
    if not meta.get("Version"):
        problems.append("DatasetMetadata has no Version")
    for prop, allowed in METADATA_ENUMS.items():
        if prop in meta and meta[prop] not in allowed:
            problems.append(f"DatasetMetadata {prop} {meta[prop]!r} is not in the spec's enum")
    problems += [f"MainTable lacks required column {c}" for c in REQUIRED if c not in header]
    if "ServerTimestamp" not in header and "ClientTimestamp" not in header:
        problems.append("MainTable has neither ServerTimestamp nor ClientTimestamp")
    if any(p.startswith("MainTable") for p in problems):
        return problems
    problems += [
        f"MainTable column {c} is neither a ProgSnap2 1.0 column nor an X- column"
        for c in header
        if c not in V1_COLUMNS and not c.startswith("X-")
    ]
    ids = [r["EventID"] for r in rows]
    if len(set(ids)) != len(ids):
        problems.append("EventID values are not unique")
    by_id = {r["EventID"]: r for r in rows}
    for column in ("EventType", "EventID", "SubjectID", "ToolInstances"):
        blanks = sum(1 for r in rows if not r[column].strip())
        if blanks:
            problems.append(f"{blanks} rows with a blank {column}")

    codes: set[str] = set()
    table = meta.get("CodeStateRepresentation", "Table") == "Table"
    if table:
        sections = sum(1 for r in rows if r.get("CodeStateSection", "").strip())
        if sections:
            problems.append(f"{sections} rows with a CodeStateSection under Table CodeStates")
        code_header, code_rows = read_rows(folder / "CodeStates" / "CodeStates.csv")
        if code_header[:2] != ["CodeStateID", "Code"]:
            problems.append(f"CodeStates columns are {code_header}, not CodeStateID, Code")
        codes = {r["CodeStateID"] for r in code_rows}
        if len(codes) != len(code_rows):
            problems.append("CodeStateID values repeat in CodeStates")
    missing = {r["CodeStateID"] for r in rows if r["CodeStateID"]} - codes
    if missing:
        problems.append(f"{len(missing)} CodeStateIDs not in CodeStates")

    for r in rows:
        parent = r.get("ParentEventID", "")
        if parent and parent not in by_id:
            problems.append(f"{r['EventID']}: ParentEventID {parent} names no event")
        kind = r["EventType"]
        for column in REQUIRED_BY_EVENT.get(kind, ()):
            if table and column == "CodeStateSection":
                continue  # the spec: not used with Table CodeStates
            if not r.get(column, "").strip():
                problems.append(f"{r['EventID']}: {kind} without {column}")
        for column, allowed in ENUMS.items():
            value = r.get(column, "")
            if value and value not in allowed and not value.startswith("X-"):
                problems.append(f"{r['EventID']}: {column} {value!r} is not in the spec's enum")
        if kind == "Compile.Error" and by_id.get(parent, {}).get("EventType") != "Compile":
            problems.append(f"{r['EventID']}: Compile.Error whose parent is not a Compile")
        for column in ("ServerTimestamp", "ClientTimestamp"):
            if r.get(column, "") and not _parses(r[column]):
                problems.append(f"{r['EventID']}: {column} {r[column]!r} is not ISO 8601")
        if not kind.startswith("X-") and kind not in REQUIRED_BY_EVENT:
            problems.append(f"{r['EventID']}: unknown event type {kind!r}")
        if parent in by_id and "Order" in r and _int(by_id[parent]["Order"]) >= _int(r["Order"]):
            problems.append(f"{r['EventID']}: ordered before its parent {parent}")

    problems += _check_order(header, rows, meta)
    problems += _check_codebook(folder, header, rows)
    return problems


def _check_order(header: list[str], rows: list[dict[str, str]], meta: dict[str, str]) -> list[str]:
    if "Order" not in header:
        return []
    try:
        orders = [int(r["Order"]) for r in rows]
    except ValueError:
        return ["Order has a value that is not an integer"]
    problems = []
    if meta.get("EventOrderScope") == "Global" and len(set(orders)) != len(orders):
        problems.append("Order has ties under EventOrderScope Global")
    if _truthy(meta.get("IsEventOrderingConsistent", "false")):
        if "ServerTimestamp" not in header:
            return [*problems, "ordering declared consistent without ServerTimestamp"]
        by_order = sorted(rows, key=lambda r: int(r["Order"]))
        if any(not r["ServerTimestamp"] for r in by_order):
            problems.append("ordering declared consistent but some rows lack ServerTimestamp")
        else:
            stamps = [_stamp(r["ServerTimestamp"]) for r in by_order]
            back = sum(1 for a, b in zip(stamps, stamps[1:], strict=False) if b < a)
            if back:
                problems.append(f"ServerTimestamp goes back {back} times along Order")
    return problems


def _check_codebook(folder: Path, header: list[str], rows: list[dict[str, str]]) -> list[str]:
    path = folder / "codebook.csv"
    if not path.exists():
        return ["no codebook.csv to define the X- event types and columns"]
    _, entries = read_rows(path)
    defined = {(e["Kind"], e["Name"]) for e in entries}
    problems = [
        f"X- column {c} is not defined in the codebook"
        for c in header
        if c.startswith("X-") and ("Column", c) not in defined
    ]
    used_types = {r["EventType"] for r in rows if r["EventType"].startswith("X-")}
    problems += [
        f"X- event type {t} is not defined in the codebook"
        for t in sorted(used_types)
        if ("EventType", t) not in defined
    ]
    categories = {r.get("InterventionCategory", "") for r in rows}
    problems += [
        f"X- intervention category {c} is not defined in the codebook"
        for c in sorted(categories)
        if c.startswith("X-") and ("InterventionCategory", c) not in defined
    ]
    return problems
