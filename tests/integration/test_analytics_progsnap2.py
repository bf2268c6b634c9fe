"""The ProgSnap2 export of a seeded cohort, read back by an independent reader of the spec.

The cohort runs an experiment; after seeding, one consenting student's prompt and code
get a planted e-mail, username and home path, and a tutor cell (%load_ext, %tutor) is
recorded as a cell run, the way the notebook's activity recorder stores it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from ainative.cli import main as cli_main
from analytics.progsnap2 import keyed_id, pseudonym
from analytics.progsnap2_rows import DROPPED_TEXT
from analytics.synth import CohortSpec, ExperimentSpec, generate
from analytics.synth_write import write
from tests.progsnap2_reader import check

KEY = "test-pseudonym-key"
TUTOR_CELL = "%load_ext ainative.notebook\n%tutor"


def _read(out: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    main = pd.read_csv(out / "MainTable.csv", dtype=str, keep_default_na=False)
    codes = pd.read_csv(out / "CodeStates" / "CodeStates.csv", dtype=str, keep_default_na=False)
    meta = pd.read_csv(out / "DatasetMetadata.csv", dtype=str, keep_default_na=False)
    return main, codes, dict(zip(meta["Property"], meta["Value"], strict=True))


def _plant(conn, planted: dict) -> None:
    """Personal data in one consenting student's prompt and code, and a tutor cell run."""
    student = conn.execute(
        text(
            "SELECT u.id, u.username, u.email FROM users u JOIN interactions i "
            "ON i.user_id = u.id WHERE u.research_consent ORDER BY u.id LIMIT 1"
        )
    ).one()
    secret = f"mail me at {student.email}, I am {student.username}, /home/{student.username}/"
    conn.execute(
        text(
            "UPDATE interactions SET prompt = prompt || :s WHERE id = "
            "(SELECT id FROM interactions WHERE user_id = :u ORDER BY created_at LIMIT 1)"
        ),
        {"s": " " + secret, "u": student.id},
    )
    conn.execute(
        text(
            "UPDATE events SET payload = jsonb_set(payload, '{code}', "
            "to_jsonb((payload->>'code') || :s)) WHERE id = (SELECT id FROM events WHERE "
            "user_id = :u AND event_type = 'cell.executed' ORDER BY occurred_at LIMIT 1)"
        ),
        {"s": "\n# " + secret, "u": student.id},
    )
    conn.execute(
        text(
            "INSERT INTO events (event_type, user_id, session_id, course_id, occurred_at, "
            "created_at, payload) SELECT event_type, user_id, session_id, course_id, "
            "occurred_at, created_at, CAST(:p AS jsonb) FROM events WHERE user_id = :u AND "
            "event_type = 'cell.executed' ORDER BY occurred_at LIMIT 1"
        ),
        {"p": json.dumps({"code": TUTOR_CELL, "success": True}), "u": student.id},
    )
    planted.update(email=student.email, username=student.username)


@pytest.fixture(scope="module")
def seeded(services, tmp_path_factory) -> Iterator[dict]:
    fresh_database_url = services.create_database()  # one cohort for the module's exports
    spec = CohortSpec(
        students=15,
        days=8,
        seed=11,
        consent_rate=0.6,
        end=datetime(2026, 4, 1, tzinfo=UTC),
        experiment=ExperimentSpec(name="Hints study"),
    )
    write(generate(spec), fresh_database_url, password_hash="$2b$04$" + "y" * 53)
    engine = create_engine(fresh_database_url)
    planted: dict = {}
    with engine.begin() as conn:
        _plant(conn, planted)
    with engine.connect() as conn:
        users = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM users"))]
        interactions = [
            dict(r._mapping)
            for r in conn.execute(
                text(
                    "SELECT i.id, i.helpful, i.score, i.status, i.guardrail, i.arm_id, "
                    "i.model, i.prompt_version, i.cache_hit, i.prompt_tokens, "
                    "i.completion_tokens, "
                    "a.name AS arm FROM interactions i LEFT JOIN experiment_arms a "
                    "ON a.id = i.arm_id"
                )
            )
        ]
        runs = [
            dict(r._mapping)
            for r in conn.execute(
                text(
                    "SELECT id, occurred_at, created_at, payload->>'code' AS code FROM events "
                    "WHERE event_type = 'cell.executed'"
                )
            )
        ]
    engine.dispose()
    yield {
        "url": fresh_database_url,
        "users": users,
        "interactions": interactions,
        "runs": runs,
        "planted": planted,
        "tmp": tmp_path_factory.mktemp("ps2"),
    }
    services.drop_database(fresh_database_url)


def _export(seeded: dict, name: str, *args: str) -> Path:
    from ainative.config import get_settings

    out = seeded["tmp"] / name
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", seeded["url"])
        mp.setenv("PSEUDONYM_KEY", KEY)
        get_settings.cache_clear()
        try:
            argv = ["export", "progsnap2", "--out", str(out), "--course", "DEMO101"]
            assert cli_main([*argv, "--no-progress", *args]) == 0
        finally:
            get_settings.cache_clear()  # before the environment is restored
    return out


@pytest.fixture(scope="module")
def exported(seeded: dict) -> dict:
    out = _export(seeded, "default")
    main, codes, meta = _read(out)
    return {**seeded, "out": out, "main": main, "codes": codes, "meta": meta}


def test_the_independent_reader_accepts_the_export(exported: dict) -> None:
    assert check(exported["out"]) == []
    # runs on the kernel's clock, requests on the server's: two clocks, honestly declared
    assert exported["meta"]["IsEventOrderingConsistent"] == "false"
    readme = (exported["out"] / "README.md").read_text()
    assert "consent" in readme.lower() and "HMAC" in readme and "scrub" in readme
    main = exported["main"]
    assert set(main["EventType"]) >= {
        "Session.Start",
        "Session.End",
        "Compile",
        "Compile.Error",
        "Run.Program",
        "X-Help.Request",
        "Intervention",
        "X-Help.Refused",
        "X-Help.Failed",
    }
    assert set(main["CourseID"]) == {"DEMO101"}


def test_every_run_compiles_and_tutor_cells_are_left_out(exported: dict) -> None:
    main, codes = exported["main"], exported["codes"]
    compiles = main[main["EventType"] == "Compile"]
    assert set(compiles["CompileResult"]) == {"Success", "Error"}
    assert (compiles["IsFabricatedEvent"] == "true").all()
    errors = main[main["EventType"] == "Compile.Error"]
    assert len(errors) == (compiles["CompileResult"] == "Error").sum()
    runs = main[main["EventType"] == "Run.Program"]
    assert len(runs) == (compiles["CompileResult"] == "Success").sum()
    assert not codes["Code"].str.contains("%tutor|load_ext").any()
    # the tutor cell was stored (it is in the database), yet it is no Compile
    assert any(r["code"] == TUTOR_CELL for r in exported["runs"])


def test_kernel_clock_is_the_client_timestamp(exported: dict) -> None:
    main = exported["main"]
    runs = main[main["EventType"] == "Run.Program"]
    assert (runs["ClientTimestamp"] != "").all() and (runs["ServerTimestamp"] == "").all()
    client = pd.to_datetime(runs["ClientTimestamp"], format="ISO8601")
    received = pd.to_datetime(runs["X-ReceivedTimestamp"], format="ISO8601")
    assert (received > client).all()  # received after they ran (the cohort's 1 s lag)
    recorded = {(r["occurred_at"], r["created_at"]) for r in exported["runs"]}
    assert set(zip(client, received, strict=True)) <= {
        (pd.Timestamp(a), pd.Timestamp(b)) for a, b in recorded
    }
    others = main[~main["EventType"].isin(["Compile", "Compile.Error", "Run.Program"])]
    assert (others["ClientTimestamp"] == "").all() and (others["ServerTimestamp"] != "").all()
    # Order follows when each event happened: the kernel's clock for runs, else the server's
    order = main["Order"].astype(int)
    happened = main["ClientTimestamp"].where(main["ClientTimestamp"] != "", main["ServerTimestamp"])
    stamps = pd.to_datetime(happened, format="ISO8601").to_numpy()
    by_order = stamps[order.argsort().to_numpy()]
    assert (by_order[1:] >= by_order[:-1]).all()


def test_code_states_are_blank_where_no_code_is_known(exported: dict) -> None:
    main = exported["main"]
    no_code = main["EventType"].isin(
        ["Session.Start", "Session.End", "Intervention", "X-Help.Refused", "X-Help.Failed"]
    )
    assert (main.loc[no_code, "CodeStateID"] == "").all()
    assert (main.loc[main["EventType"] == "Compile", "CodeStateID"] != "").all()
    assert set(main["CodeStateID"]) - {""} == set(exported["codes"]["CodeStateID"])


def test_outcomes_of_refused_and_failed_requests(exported: dict) -> None:
    main = exported["main"]
    requests = main[main["EventType"] == "X-Help.Request"].set_index("EventID")
    expected = {
        "X-Help.Failed": {
            f"help-{keyed_id('interaction', i['id'], KEY)}"
            for i in exported["interactions"]
            if i["status"] == "error"
        },
        "X-Help.Refused": {
            f"help-{keyed_id('interaction', i['id'], KEY)}"
            for i in exported["interactions"]
            if i["status"] == "done" and i["guardrail"] == "refused"
        },
    }
    for kind, parents in expected.items():
        rows = main[main["EventType"] == kind]
        assert len(rows) > 0, kind
        assert set(rows["ParentEventID"]) <= set(requests.index)
        assert set(rows["ParentEventID"]) == parents & set(requests.index), kind
    answered = set(main.loc[main["EventType"] == "Intervention", "ParentEventID"])
    assert not answered & set(main.loc[main["EventType"] != "Intervention", "ParentEventID"])


def test_experimental_condition_is_filled(exported: dict) -> None:
    main = exported["main"]
    arms = {
        f"help-{keyed_id('interaction', i['id'], KEY)}": i["arm"] for i in exported["interactions"]
    }
    requests = main[main["EventType"] == "X-Help.Request"]
    assert len(requests) > 0 and (requests["ExperimentalCondition"] != "").all()
    for event, condition in zip(
        requests["EventID"], requests["ExperimentalCondition"], strict=True
    ):
        assert condition.startswith("Hints study (experiment ") and condition.endswith(
            f": {arms[event]}"
        )
    assert set(requests["X-PolicyVersion"]) == {"1"}
    # students who asked have an arm for their runs too
    asked = set(requests["SubjectID"])
    runs = main[(main["EventType"] == "Run.Program") & main["SubjectID"].isin(asked)]
    assert len(runs) > 0 and (runs["ExperimentalCondition"] != "").all()


def test_ids_are_pseudonymous_and_subjects_consenting(exported: dict) -> None:
    main, users = exported["main"], exported["users"]
    subjects = set(main["SubjectID"])
    consenting = {pseudonym(u["id"], KEY) for u in users if u["research_consent"]}
    refusing = {pseudonym(u["id"], KEY) for u in users if not u["research_consent"]}
    assert refusing and subjects <= consenting and not subjects & refusing
    raw = (exported["out"] / "MainTable.csv").read_text()
    assert not any(str(i["id"]) in raw for i in exported["interactions"])
    assert not any(f"-{r['id']}," in raw for r in exported["runs"])
    assert not any(u["username"] in raw or u["email"] in raw for u in users)


def test_both_rating_scales_are_exported_apart(exported: dict) -> None:
    main = exported["main"]
    rated = main[main["EventType"].isin(["Intervention", "X-Help.Refused"])]
    rated = rated.set_index("ParentEventID")
    as_text = {True: "true", False: "false", None: ""}
    expected = {
        f"help-{keyed_id('interaction', i['id'], KEY)}": (
            as_text[i["helpful"]],
            "" if i["score"] is None else str(i["score"]),
        )
        for i in exported["interactions"]
    }
    got = rated[["X-Helpful", "X-Score"]].apply(tuple, axis=1).to_dict()
    assert got and all(expected[event] == value for event, value in got.items())
    helpful, score = rated["X-Helpful"], rated["X-Score"]
    assert set(helpful) == {"", "true", "false"}
    assert set(score) - {""} <= {"1", "2", "3", "4", "5"} and (score != "").any()
    others = main[~main["EventType"].isin(["Intervention", "X-Help.Refused"])]
    assert (others["X-Helpful"] == "").all() and (others["X-Score"] == "").all()


def test_answers_carry_the_llm_provenance_columns(exported: dict) -> None:
    main = exported["main"]
    answers = main[main["EventType"].isin(["Intervention", "X-Help.Refused"])]
    answers = answers.set_index("ParentEventID")
    columns = ["X-Model", "X-PromptVersion", "X-Guardrail", "X-CacheHit"]
    columns += ["X-PromptTokens", "X-CompletionTokens"]

    def text_of(value: object) -> str:
        return (
            "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        )

    expected = {
        f"help-{keyed_id('interaction', i['id'], KEY)}": tuple(
            text_of(i[c])
            for c in ("model", "prompt_version", "guardrail", "cache_hit", "prompt_tokens")
        )
        + (text_of(i["completion_tokens"]),)
        for i in exported["interactions"]
    }
    got = answers[columns].apply(tuple, axis=1).to_dict()
    assert len(got) > 10 and all(expected[event] == value for event, value in got.items())
    assert set(answers["X-CacheHit"]) == {"true", "false"}
    requests = main[main["EventType"] == "X-Help.Request"]
    assert (requests[columns] == "").all().all()  # on the answer only: never summed twice
    codebook = (exported["out"] / "codebook.csv").read_text()
    assert all(f",{c}," in codebook for c in columns)


def test_scrub_is_the_default(exported: dict) -> None:
    planted = exported["planted"]
    main, codes = exported["main"], exported["codes"]
    everything = (exported["out"] / "MainTable.csv").read_text() + "\n".join(codes["Code"])
    for secret in (planted["email"], planted["username"], f"/home/{planted['username']}"):
        assert secret not in everything, secret
    assert main["X-HelpMessage"].str.contains("<email>").any()
    assert main["X-HelpMessage"].str.contains("/home/<user>/").any()
    assert codes["Code"].str.contains("<name>").any()


def test_keep_and_drop(seeded: dict) -> None:
    planted = seeded["planted"]
    kept_main, kept_codes, _ = _read(_export(seeded, "keep", "--text", "keep"))
    assert kept_main["X-HelpMessage"].str.contains(planted["email"], regex=False).any()
    assert kept_codes["Code"].str.contains(planted["username"], regex=False).any()
    out = _export(seeded, "drop", "--text", "drop")
    main, codes, _ = _read(out)
    assert check(out) == []
    shown = main["EventType"].isin(["Intervention", "X-Help.Refused"])
    assert (main["X-HelpMessage"] == "").all() and shown.any()
    assert (main.loc[shown, "InterventionMessage"] == DROPPED_TEXT).all()
    assert (main.loc[~shown, "InterventionMessage"] == "").all()
    assert (codes["Code"] == "").all() and len(codes) == len(kept_codes)
    assert (main["CodeStateID"] == kept_main["CodeStateID"]).all()
    raw = (out / "MainTable.csv").read_text()
    assert planted["username"] not in raw and planted["email"] not in raw
