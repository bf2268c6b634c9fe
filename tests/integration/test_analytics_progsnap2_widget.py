"""The ProgSnap2 export of data made through the real API the way the notebook widget does.

An instructor runs an experiment in a course that uses the (fake) OpenAI model; a student
opens a session, runs cells (the tutor's own cell, a syntax error, a failing and a working
run, with their e-mail and home path in the code) and asks three questions from a cell:
one answered, one refused (a solution request answered with code), one failed (the model
errors). Another member of the course is named in a prompt. The export must pass the
independent reader and carry what happened, under pseudonyms and with text scrubbed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pandas as pd

from ainative.cli import main as cli_main
from analytics.progsnap2 import keyed_id
from tests.progsnap2_reader import check
from tests.support.api import wait_answer

NOTEBOOK = "week3/loops.ipynb"
REPLY_WITH_CODE = "Here you go:\n\n```python\nfor i in range(n):\n    print(i)\n```\n"


def _course(api: httpx.Client, make_user, student, classmate) -> tuple[str, int]:
    admin, instructor = make_user(roles=("admin",)), make_user(roles=("instructor",))
    code = f"PS{uuid.uuid4().hex[:8]}"
    r = api.post(
        "/api/v1/courses",
        json={"code": code, "title": "Loops", "tutor_policy": {"provider": "openai"}},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    base = f"/api/v1/courses/{r.json()['id']}"
    for user, role in ((instructor, "instructor"), (student, "student"), (classmate, "student")):
        r = api.post(
            f"{base}/members", json={"user_id": user.id, "role": role}, headers=admin.headers
        )
        assert r.status_code == 201, r.text
    arms = [
        {"name": "control", "policy": {"provider": "openai"}},
        {"name": "strict", "policy": {"provider": "openai"}},
    ]
    r = api.post(
        f"{base}/experiments",
        json={"name": "Widget study", "arms": arms},
        headers=instructor.headers,
    )
    assert r.status_code == 201, r.text
    return code, r.json()["id"]


def _ask(api, user, prompt: str, **body: object) -> dict:
    r = api.post("/api/v1/tutor/requests", json={"prompt": prompt, **body}, headers=user.headers)
    assert r.status_code in (200, 202), r.text
    return wait_answer(api, user.headers, r.json()["id"])


def _run(code: str, at: datetime, **payload: object) -> dict:
    """A cell run at `at` by the kernel's clock."""
    return {
        "type": "cell.executed",
        "occurred_at": at.isoformat(),
        "notebook_path": NOTEBOOK,
        "cell_id": "cell-7",
        "payload": {"code": code, **payload},
    }


def _export(out: Path, code: str, *args: str) -> pd.DataFrame:
    argv = ["export", "progsnap2", "--out", str(out), "--course", code, "--no-progress"]
    assert cli_main([*argv, *args]) == 0
    assert check(out) == []
    return pd.read_csv(out / "MainTable.csv", dtype=str, keep_default_na=False)


def test_widget_made_data_exports_faithfully(
    api, make_user, stack, fake_llm_control, tmp_path: Path
) -> None:
    student, classmate = make_user(), make_user()
    code, experiment_id = _course(api, make_user, student, classmate)
    r = api.post("/api/v1/tutor/sessions", json={"client": "notebook"}, headers=student.headers)
    assert r.status_code == 201, r.text
    session = r.json()["id"]
    opened = datetime.now(UTC)  # after the session opened (and so after consent)
    at = [opened + timedelta(milliseconds=ms) for ms in (1, 2, 3, 4)]
    home = f"/home/{student.username}/work/data.txt"
    runs = [
        _run("%load_ext ainative.notebook\n%tutor", at[0], success=True),
        _run(
            "for i in range(3)\n    print(i)",
            at[1],
            success=False,
            error_type="SyntaxError",
            error_message="expected ':'",
        ),
        _run(
            f"open('{home}')  # {student.email}",
            at[2],
            success=False,
            error_type="FileNotFoundError",
            error_message=f"No such file: '{home}'",
        ),
        _run("for i in range(3):\n    print(i)", at[3], success=True),
    ]
    r = api.post(
        "/api/v1/events/batch",
        json={"session_id": session, "events": runs},
        headers=student.headers,
    )
    assert r.status_code == 200 and r.json()["stored"] == len(runs), r.text

    where = {"session_id": session, "notebook_path": NOTEBOOK, "cell_id": "cell-7"}
    fake_llm_control(clear=True)
    answered = _ask(
        api, student, f"Why does my loop fail? {classmate.username} said to ask.", **where
    )
    assert answered["status"] == "done"
    fake_llm_control(reply=REPLY_WITH_CODE, clear=True)
    refused = _ask(api, student, "Just give me the code for the loop", **where)
    assert refused["guardrail"] == "refused"
    fake_llm_control(fail_next=1, fail_status=400, clear=True)
    failed = _ask(api, student, f"Mail {student.email} the answer", **where)
    assert failed["status"] == "error"
    fake_llm_control(clear=True)

    main = _export(tmp_path / "scrub", code)
    kinds = main["EventType"].tolist()
    assert kinds.count("Compile") == 3  # the tutor's cell is no program run
    assert kinds.count("Compile.Error") == 1 and kinds.count("Run.Program") == 2
    assert kinds.count("X-Help.Request") == 3 and kinds.count("Intervention") == 1
    assert kinds.count("X-Help.Refused") == 1 and kinds.count("X-Help.Failed") == 1

    def request(interaction: dict) -> str:
        return f"help-{keyed_id('interaction', interaction['id'], _key())}"

    outcomes = main.set_index("EventType")["ParentEventID"]
    assert outcomes["X-Help.Refused"] == request(refused)
    assert outcomes["X-Help.Failed"] == request(failed)
    assert outcomes["Intervention"] == request(answered)

    helps = main[main["EventType"] == "X-Help.Request"]
    assert set(helps["AssignmentID"]) == {NOTEBOOK}
    assert set(helps["ProblemID"]) == {f"{NOTEBOOK}#cell-7"}
    assert set(helps["ExperimentalCondition"]) <= {
        f"Widget study (experiment {experiment_id}): {arm}" for arm in ("control", "strict")
    }
    assert len(set(helps["ExperimentalCondition"])) == 1
    assert session not in set(main["SessionID"]) and len(set(main["SessionID"])) == 1
    compiles = main[main["EventType"] == "Compile"]
    assert (compiles["ClientTimestamp"] != "").all() and (compiles["ServerTimestamp"] == "").all()
    assert (compiles["X-ReceivedTimestamp"] != "").all()
    assert (compiles["ExperimentalCondition"] == helps["ExperimentalCondition"].iloc[0]).all()

    codes = pd.read_csv(tmp_path / "scrub" / "CodeStates" / "CodeStates.csv", dtype=str)
    everything = (tmp_path / "scrub" / "MainTable.csv").read_text() + codes.to_csv()
    for secret in (student.email, student.username, classmate.username, answered["id"]):
        assert secret not in everything, secret
    assert "/home/<user>/work/data.txt" in everything

    dropped = _export(tmp_path / "drop", code, "--text", "drop")
    assert (dropped["X-HelpMessage"] == "").all()
    dropped_codes = pd.read_csv(
        tmp_path / "drop" / "CodeStates" / "CodeStates.csv", dtype=str, keep_default_na=False
    )
    assert (dropped_codes["Code"] == "").all() and len(dropped_codes) == len(codes)


def _key() -> str:
    from ainative.config import get_settings

    return get_settings().research_key()
