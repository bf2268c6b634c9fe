"""The ProgSnap2 table builder on a tiny hand-made trace, read back by the independent reader."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analytics.progsnap2 import build_main_table, deployed_commit, is_tutor_cell
from analytics.progsnap2_codebook import write_codebook
from analytics.progsnap2_rows import DROPPED_TEXT, UNKNOWN_LOCATION
from analytics.scrub import Scrubber, treat
from tests.progsnap2_reader import check

KEY = "unit-key"
T0 = pd.Timestamp("2026-03-02 10:00:00", tz="UTC")
NB = "week1/loops.ipynb"


def _t(seconds: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(seconds=seconds)


def _sessions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["11111111-1111-1111-1111-111111111111"],
            "user_id": [7],
            "course_id": [1],
            "client": ["notebook"],
            "started_at": [_t(0)],
            "ended_at": [_t(600)],
        }
    )


def _events() -> pd.DataFrame:
    rows = [
        # id, code, success, error_type, message, kernel second, server second
        (1, "%load_ext ainative.notebook\n%tutor", True, None, None, 1, 2),
        (
            2,
            "for i in range(3):\nprint(i)",
            False,
            "IndentationError",
            "expected an indented block",
            10,
            12,
        ),
        (
            3,
            "print(open('/home/ada_l/x.txt').read())",
            False,
            "FileNotFoundError",
            "No such file: '/home/ada_l/x.txt'",
            20,
            22,
        ),
        (4, "for i in range(3):\n    print(i)", True, None, None, 30, 31),
    ]
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "event_type": "cell.executed",
            "user_id": 7,
            "session_id": "11111111-1111-1111-1111-111111111111",
            "course_id": 1,
            "notebook_path": NB,
            "cell_id": "c1",
            "code": [r[1] for r in rows],
            "success": pd.array([r[2] for r in rows], dtype="boolean"),
            "error_type": [r[3] for r in rows],
            "error_message": [r[4] for r in rows],
            "occurred_at": [_t(r[5]) for r in rows],
            "created_at": [_t(r[6]) for r in rows],
        }
    )


def _interactions() -> pd.DataFrame:
    rows = [
        # id, status, guardrail, answer, prompt, classification, arm
        ("a1", "done", "passed", "Indent the body.", "Why? mail ada@uni.edu", "debugging", 5),
        ("a2", "done", "refused", "I can't give the solution.", "solve it", "solution-request", 5),
        ("a3", "error", None, None, "help ada_l", "conceptual", 6),
    ]
    n = len(rows)
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "user_id": 7,
            "session_id": "11111111-1111-1111-1111-111111111111",
            "course_id": 1,
            "turn": pd.array([1, 2, 3], dtype="Int16"),
            "notebook_path": NB,
            "cell_id": "c1",
            "mode": "socratic",
            "status": [r[1] for r in rows],
            "classification": [r[5] for r in rows],
            "guardrail": [r[2] for r in rows],
            "model": pd.Categorical(["gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18", None]),
            "prompt_version": pd.Categorical(["v7", "v7-strict", None]),
            "cache_hit": pd.array([False, True, False], dtype="boolean"),
            "prompt_tokens": pd.array([120, 90, None], dtype="Int32"),
            "completion_tokens": pd.array([40, 12, None], dtype="Int32"),
            "policy_version": pd.array([3] * n, dtype="Int32"),
            "arm_id": pd.array([r[6] for r in rows], dtype="Int32"),
            "helpful": pd.array([True, None, None], dtype="boolean"),
            "score": pd.array([None, 2, None], dtype="Int16"),
            "prompt": [r[4] for r in rows],
            "answer": [r[3] for r in rows],
            "context": [json.dumps({"code": "x = 1"}), None, None],
            "provider": "openai",
            "created_at": [_t(40), _t(50), _t(60)],
            "started_at": [_t(41), _t(51), _t(61)],
            "completed_at": [_t(45), _t(55), pd.NaT],
        }
    )


EXPERIMENTS = pd.DataFrame(
    {
        "experiment_id": [9, 9],
        "experiment": ["Hints study", "Hints study"],
        "started_at": [_t(-100), _t(-100)],
        "ended_at": [pd.NaT, pd.NaT],
        "arm_id": [5, 6],
        "arm": ["control", "hints"],
    }
)
ASSIGNMENTS = pd.DataFrame(
    {
        "experiment_id": [9],
        "course_id": [1],
        "user_id": [7],
        "arm_id": [5],
        "assigned_at": [_t(-50)],
    }
)


def _build(text: str = "keep") -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    return build_main_table(
        _sessions(),
        _events(),
        _interactions(),
        key=KEY,
        course_codes={1: "CS101"},
        experiments=EXPERIMENTS,
        assignments=ASSIGNMENTS,
        text=text,
        scrubber=Scrubber.for_people(["ada_l"], ["ada.lovelace@uni.edu"]),
    )


def _write(tmp_path: Path, main: pd.DataFrame, codes: pd.DataFrame, consistent: bool) -> Path:
    (tmp_path / "CodeStates").mkdir()
    main.to_csv(tmp_path / "MainTable.csv", index=False)
    codes.to_csv(tmp_path / "CodeStates" / "CodeStates.csv", index=False)
    pd.DataFrame(
        [
            ("Version", "1.0"),
            ("IsEventOrderingConsistent", str(consistent).lower()),
            ("EventOrderScope", "Global"),
            ("CodeStateRepresentation", "Table"),
        ],
        columns=["Property", "Value"],
    ).to_csv(tmp_path / "DatasetMetadata.csv", index=False)
    write_codebook(tmp_path, text_mode="keep", consistent=consistent)
    return tmp_path


def test_events_codes_and_clocks(tmp_path: Path) -> None:
    main, codes, consistent = _build()
    assert not consistent  # runs on the kernel's clock, requests on the server's
    types = main["EventType"].tolist()
    # the tutor cell is gone: three runs compile, one fails to, two run
    assert types.count("Compile") == 3 and types.count("Compile.Error") == 1
    assert types.count("Run.Program") == 2
    assert sorted(main.loc[main["EventType"] == "Compile", "CompileResult"]) == [
        "Error",
        "Success",
        "Success",
    ]
    assert not main["CompileMessageData"].fillna("").str.contains("load_ext").any()
    runs = main[main["EventType"] == "Run.Program"]
    assert runs["ClientTimestamp"].str.startswith("2026-03-02T10:00:20").any()
    assert runs["X-ReceivedTimestamp"].str.startswith("2026-03-02T10:00:22").any()
    assert (runs["ServerTimestamp"] == "").all()  # the server did not see the run happen
    helps = main[main["EventType"].str.startswith("X-Help")]
    assert (helps["ClientTimestamp"].fillna("") == "").all()
    assert set(main["EventType"]) >= {"X-Help.Refused", "X-Help.Failed", "Intervention"}
    assert (main["EventType"] == "Intervention").sum() == 1
    # blank code states where no code is known
    blank = main[main["EventType"].isin(["Session.Start", "Intervention", "X-Help.Failed"])]
    assert (blank["CodeStateID"] == "").all()
    assert set(main["CodeStateID"]) - {""} == set(codes["CodeStateID"])
    assert set(main["AssignmentID"].dropna()) == {NB}
    assert set(main["ProblemID"].dropna()) - {""} == {f"{NB}#c1"}
    # conditions: the request's own arm, and the assignment for everything else
    conditions = main.set_index("EventType")["ExperimentalCondition"]
    assert set(conditions[["Run.Program", "Session.Start"]]) == {
        "Hints study (experiment 9): control"
    }
    failed = main[main["EventType"] == "X-Help.Failed"]
    assert failed["ExperimentalCondition"].tolist() == ["Hints study (experiment 9): hints"]
    assert check(_write(tmp_path, main, codes, consistent)) == []


def test_answers_carry_the_llm_side() -> None:
    """Each answer names its model, prompt version, guardrail verdict, cache and tokens."""
    main, _, _ = _build()
    columns = ["X-Model", "X-PromptVersion", "X-Guardrail", "X-CacheHit", "X-PromptTokens"]
    outcomes = main[main["EventType"].isin(["Intervention", "X-Help.Refused"])]
    got = outcomes[[*columns, "X-CompletionTokens"]].astype(str).values.tolist()
    assert got == [
        ["gpt-4o-mini-2024-07-18", "v7", "passed", "false", "120", "40"],
        ["gpt-4o-mini-2024-07-18", "v7-strict", "refused", "true", "90", "12"],
    ]
    requests = main[main["EventType"] == "X-Help.Request"]
    assert requests[columns].isna().all().all()  # on the answer's row only: never summed twice


def test_ids_are_keyed_pseudonyms() -> None:
    main, _, _ = _build()
    raw = {"a1", "a2", "a3", "11111111-1111-1111-1111-111111111111", "1", "2", "3", "4"}
    for column in ("EventID", "SessionID", "ParentEventID", "SubjectID"):
        values = main[column].dropna().astype(str)
        assert not any(any(r in v.split("-")[-1:] for r in raw) for v in values), column
        assert not set(values) & raw, column
    other, _, _ = build_main_table(
        _sessions(), _events(), _interactions(), key="another-key", course_codes={1: "CS101"}
    )
    assert set(other["EventID"]).isdisjoint(set(main["EventID"]))


def test_scrub_and_drop() -> None:
    main, codes, _ = _build("scrub")
    text = " ".join(main.astype(object).fillna("").astype(str).to_numpy().ravel()) + " ".join(
        codes["Code"]
    )
    assert "ada@uni.edu" not in text and "ada_l" not in text and "/home/<user>/" in text
    assert "<email>" in text and "<name>" in text
    dropped, dropped_codes, _ = _build("drop")
    assert (dropped["X-HelpMessage"].fillna("") == "").all()
    shown = dropped["EventType"].isin(["Intervention", "X-Help.Refused"])
    assert (dropped.loc[shown, "InterventionMessage"] == DROPPED_TEXT).all()
    assert (dropped.loc[~shown, "InterventionMessage"].fillna("") == "").all()
    assert (dropped_codes["Code"] == "").all() and len(dropped_codes) == len(codes)
    assert "ada_l" not in " ".join(dropped["ProgramErrorOutput"].fillna(""))


def test_mixed_clocks_are_not_consistent(tmp_path: Path) -> None:
    events = _events()
    events.loc[1, "created_at"] = pd.NaT  # placed by the kernel's clock only
    main, codes, consistent = build_main_table(
        _sessions(), events, _interactions(), key=KEY, course_codes={1: "CS101"}
    )
    assert not consistent
    assert check(_write(tmp_path, main, codes, consistent)) == []


def test_reader_catches_broken_datasets(tmp_path: Path) -> None:
    main, codes, consistent = _build()
    broken = main.copy()
    errors = broken["EventType"] == "Compile.Error"
    broken.loc[errors, "ParentEventID"] = broken.loc[
        broken["EventType"] == "Run.Program", "EventID"
    ].iloc[0]
    broken.loc[broken["EventType"] == "Intervention", "CodeStateID"] = "nope"
    broken["X-Undefined"] = "1"
    broken.loc[0, "Order"] = broken.loc[1, "Order"]
    problems = check(_write(tmp_path, broken, codes, consistent))
    assert any("parent is not a Compile" in p for p in problems)
    assert any("not in CodeStates" in p for p in problems)
    assert any("X-Undefined" in p for p in problems)
    assert any("ties" in p for p in problems)


@pytest.mark.parametrize(
    ("code", "tutor"),
    [
        ("%tutor", True),
        ("%tutor hints", True),
        ("%load_ext ainative.notebook\n%tutor", True),
        ("  %reload_ext ainative.notebook", True),
        ("from ainative.notebook import TutorWidget\nTutorWidget()", True),
        ("import ainative.notebook\n# show it\ndisplay(TutorWidget(mode='hints'))", True),
        ("import math\nprint(math.pi)", False),
        ("tutor = 3\nprint(tutor)", False),
        ("", False),
        ("x = 1  # %tutor", False),
    ],
)
def test_tutor_cells(code: str, tutor: bool) -> None:
    assert is_tutor_cell(code) is tutor


def test_scrubber_finds_what_it_knows() -> None:
    scrub = Scrubber.for_people(["jdoe42"], ["Jane.Doe@example.org"])
    out = scrub(
        "I am JDOE42 (jane.doe@example.org, jane.doe) see /Users/jdoe/x.py and "
        "C:\\Users\\Jane\\a.py or /home/jovyan/work"
    )
    assert out is not None
    for secret in ("JDOE42", "jane.doe", "example.org", "/Users/jdoe", "Jane\\", "jovyan"):
        assert secret not in out, secret
    assert scrub("print(total)") == "print(total)"
    assert treat(["a", None], "drop", scrub) == [None, None]
    with pytest.raises(ValueError, match="keep, scrub, drop"):
        treat(["a"], "hide", scrub)


def test_a_trace_of_only_tutor_cells_exports_no_runs() -> None:
    events, interactions = _events().iloc[:1], _interactions().iloc[:0]
    main, codes, consistent = build_main_table(
        _sessions(), events, interactions, key=KEY, text="scrub"
    )
    assert main["EventType"].tolist() == ["Session.Start", "Session.End"]
    assert codes.empty and consistent


def test_a_run_received_after_the_question_about_it_is_ordered_first(tmp_path: Path) -> None:
    events = _events()
    # the failing run at kernel second 20 reaches the server at 48 s, after the question
    # the student asked about it at 40 s (a batch delayed by a network failure)
    events.loc[events["id"] == 3, "created_at"] = _t(48)
    main, codes, consistent = build_main_table(
        _sessions(), events, _interactions(), key=KEY, course_codes={1: "CS101"}
    )
    order = main.set_index("EventType")["Order"]
    failing_run = main[(main["EventType"] == "Run.Program") & (main["ExecutionResult"] == "Error")]
    first_question = main[main["EventType"] == "X-Help.Request"]["Order"].min()
    assert int(failing_run["Order"].iloc[0]) < int(first_question)
    assert int(order["Session.Start"]) == 1
    assert check(_write(tmp_path, main, codes, consistent)) == []


def test_what_the_spec_requires_is_filled(tmp_path: Path) -> None:
    main, codes, consistent = _build()
    assert "ServerTimezone" not in main.columns and "CodeStateSection" not in main.columns
    error = main[main["EventType"] == "Compile.Error"].iloc[0]
    assert error["CompileMessageData"] == "expected an indented block"
    assert error["SourceLocation"] == UNKNOWN_LOCATION  # no line recorded, none in the text
    events = _events().assign(error_line=[None, 2, 1, None])
    events["error_message"] = events["error_message"].astype(object)
    located, _, _ = build_main_table(_sessions(), events, _interactions(), key=KEY)
    assert located.loc[located["EventType"] == "Compile.Error", "SourceLocation"].tolist() == [
        "Text:2"
    ]
    tools = main.groupby("EventType")["ToolInstances"].first()
    assert f"(commit {deployed_commit()})" in tools["Compile"] and "LLM" not in tools["Compile"]
    assert tools["X-Help.Request"].endswith("; LLM openai:gpt-4o-mini-2024-07-18; prompt v7")
    assert deployed_commit() != "unknown"  # the tests run in a checkout
    dropped, dropped_codes, _ = _build("drop")
    assert check(_write(tmp_path, dropped, dropped_codes, consistent)) == []


def test_the_reader_enforces_every_required_column(tmp_path: Path) -> None:
    main, codes, consistent = _build()
    broken = main.copy()
    broken["ServerTimezone"] = "UTC"
    broken["CodeStateSection"] = ""
    broken.loc[broken["EventType"] == "Compile", "CodeStateSection"] = NB
    broken.loc[broken["EventType"] == "Compile.Error", "SourceLocation"] = ""
    broken.loc[broken["EventType"] == "Intervention", "InterventionMessage"] = ""
    problems = check(_write(tmp_path, broken, codes, consistent))
    assert any("ServerTimezone" in p for p in problems)
    assert any("CodeStateSection under Table" in p for p in problems)
    assert any("Compile.Error without SourceLocation" in p for p in problems)
    assert any("Intervention without InterventionMessage" in p for p in problems)
